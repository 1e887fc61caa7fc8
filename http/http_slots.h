/*
 * http/http_slots: connection slots, phases and deadlines of an HTTP server, a library an application may link. Its
 * interface is public: xenolith/http_slots.h.
 */
#ifndef XENOLITH_HTTP_HTTP_SLOTS_H
#define XENOLITH_HTTP_HTTP_SLOTS_H

#include "xenolith/http_slots.h"

#endif
