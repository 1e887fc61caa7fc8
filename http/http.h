/*
 * http/http: the HTTP/1.1 message rules, a library an application may link. Its
 * interface is public: xenolith/http.h.
 */
#ifndef XENOLITH_HTTP_HTTP_H
#define XENOLITH_HTTP_HTTP_H

#include "xenolith/http.h"

#endif
