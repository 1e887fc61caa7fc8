/*
 * dns/dns_wire: the DNS message codec, a library an application may link (APP_LIBS += dns). Its
 * interface is public: xenolith/dns_wire.h. This header adds what the library's files share.
 */
#ifndef XENOLITH_DNS_DNS_WIRE_H
#define XENOLITH_DNS_DNS_WIRE_H

#include "xenolith/dns_wire.h"

/* ASCII lower case, the only case folding of DNS names (RFC 4343 3). */
uint8_t dns_ascii_lower(uint8_t c);

#endif
