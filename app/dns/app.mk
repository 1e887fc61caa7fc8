# The authoritative DNS server appliance (docs/DNS.md, "Server appliance"): zones in master-file
# format from a tar disk, answered over UDP and TCP port 53.
APP_LIBS := net blk dns
# A DNS server has a fixed address (ip= options, no DHCP client) and short exchanges: NewReno
# and DupThresh recovery serve them as well as CUBIC and RACK-TLP; its answers fit a segment or a
# few, so no TSO frames; its clients reach it over paths of the link's MTU (no path MTU discovery:
# mtu= sets it) and its queries are never fragmented (no IPv4 reassembly; fragments are dropped
# and counted); a lost segment of a short answer is repaired by NewReno as well as with SACK.
# Its TCP messages are at most 64 KiB on short connections (RFC 7766): no timestamps (no PAWS
# needed, the RTT from timed segments), windows of 64 KiB without scaling, and a segment past a
# hole resent by the client rather than held. It serves port 53 only, so sends no ICMP errors
# (unreachables are SHOULDs; other datagrams are dropped and counted), and never turns TCP
# keep-alives on; its small packets cost less to copy than to pin a page each, so received data
# is copied (no receive by reference; docs/APPLICATIONS.md, "Network features").
APP_NET_WITHOUT := dhcp cubic rack tso syncookies pmtu reassembly sack timestamps wscale ooo \
                   icmp_errors keepalive rx_by_reference
# On Xen it is never saved or migrated (a restarted appliance reloads its zones in well under a
# second), its small packets need neither scatter-gather, GSO nor several queues, and it only
# reads its zone disk, which is attached read-only (docs/APPLICATIONS.md, "Xen drivers").
APP_XEN_WITHOUT := suspend netfront_offload blkfront_write
