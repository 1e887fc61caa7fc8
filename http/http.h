/*
 * http/http: the HTTP/1.1 message rules, a library an application may link. Its
 * interface is public: xenolith/http.h.
 */
#ifndef XENOLITH_HTTP_HTTP_H
#define XENOLITH_HTTP_HTTP_H

#include "xenolith/http.h"

/* Inside the module: whether s equals lit, ASCII letters in any case (lit lower-case). */
bool http_str_ieq(struct http_str s, const char *lit);
/* s without the optional whitespace (SP, HTAB) at its ends (RFC 9110 5.6.3). */
struct http_str http_trim_ows(struct http_str s);

#endif
