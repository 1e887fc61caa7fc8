# @NAME@'s build description, read by Xenolith's make (make APP_DIR=<this directory>).
#
# NAME: the images are build/xen/NAME and build/hosted/NAME (default: this directory's name).
NAME := @NAME@
# APP_LIBS: the libraries the appliance links beyond the base (lib, kernel, mm, sched and the
# platform, always there): net (the TCP/IP stack, DHCP and the network device; xenolith/net.h,
# tcp.h, udp.h), http (the HTTP/1.1 helpers, xenolith/http.h), blk (block devices and the tar
# reader, xenolith/blk.h, tar.h). Nothing else goes into the image.
APP_LIBS := net
