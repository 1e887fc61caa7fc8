# The authoritative DNS server appliance (docs/DNS.md, "Server appliance"): zones in master-file
# format from a tar disk, answered over UDP and TCP port 53.
APP_LIBS := net blk dns
