#!/bin/sh
# Packs the DNS appliance's sample zones (app/dns/disk: zones/example.com.zone and
# zones/2.0.192.in-addr.arpa.zone) into a disk image with scripts/mkdisk.sh.
# Usage: app/dns/mkzones.sh OUT
set -eu
cd "$(dirname "$0")/../.."
[ $# -eq 1 ] || { echo "usage: $0 OUT" >&2; exit 2; }
mkdir -p "$(dirname "$1")"
scripts/mkdisk.sh app/dns/disk "$1"
