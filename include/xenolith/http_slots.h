/*
 * xenolith/http_slots.h: how an HTTP server shares its connection slots among clients under
 * load and bounds the time each client may hold one. Pure rules: no I/O, no allocation, no clock (the
 * caller passes the time in), so a server's acceptor and connection fibers only carry out what
 * is decided here, and the decisions are unit-tested on a simulated clock.
 *
 * A connection is in one phase at a time, entered at a moment (`since_ns`):
 *   WAITING    no request in progress: a new connection before its first byte, or a kept-alive
 *              one between requests (idle)
 *   HEAD       a request head began (its first byte arrived) and is not complete yet
 *   BODY       the head is complete and the request's content is being read
 *   RESPONSE   the answer is being sent
 *   CLOSING    the server is done with it (answered, closing, draining what the client still
 *              sends): it no longer counts against the client limit
 *   EVICTED    taken away to make room: counted nowhere while its owner ends it
 * Each phase is a queue, oldest first. WAITING, HEAD, BODY and RESPONSE are the clients, at most
 * max_clients; CLOSING connections are bounded on their own, at most max_closing.
 *
 * Overload (a new connection when every client slot is taken), the way nginx reuses idle
 * keep-alive connections:
 *   1. the connection that has been WAITING longest is closed (idle keep-alive first);
 *   2. else the request HEAD that began first is ended (the slowest unfinished head);
 *   3. else the new connection is refused: every slot is doing real work (BODY, RESPONSE).
 * A connection entering CLOSING when max_closing are already closing cuts the oldest one short.
 *
 * Deadlines (http_slot_deadline), so no phase lasts for ever however slow the client:
 *   WAITING    a new connection: since + head_ns (its first head is due like any head, counted
 *              from the accept); a kept-alive one: since + idle_ns
 *   HEAD       since + head_ns: the whole head, however slowly its bytes trickle (slowloris)
 *   BODY       since + body_ns + received / body_min_rate: a grace, extended by one second for
 *              each body_min_rate bytes that arrived (slow body)
 *   RESPONSE   since + send_ns + taken / send_min_rate: the same for the bytes the client took
 *              (acknowledged) of the answer (slow read)
 *   CLOSING    since + linger_ns
 * A client keeping up with the minimum rate never meets the deadline; one that falls behind it
 * on average meets it at most the grace after it stopped.
 *
 * Part of the http library, like xenolith/http.h. Every function here is pure (no I/O, no
 * allocation, no blocking): any context may call it.
 */
#ifndef XENOLITH_PUBLIC_HTTP_SLOTS_H
#define XENOLITH_PUBLIC_HTTP_SLOTS_H

#include <stdbool.h>
#include <stdint.h>
#include "lib/list.h"

enum http_phase {
    HTTP_PHASE_WAITING,
    HTTP_PHASE_HEAD,
    HTTP_PHASE_BODY,
    HTTP_PHASE_RESPONSE,
    HTTP_PHASE_CLOSING,
    HTTP_PHASE_EVICTED,
    HTTP_PHASE_COUNT,
};
const char *http_phase_name(enum http_phase phase);

/* One connection's place in the table; embedded in the server's connection record. */
struct http_slot {
    struct list_node link;           /* in its phase's queue (not for EVICTED) */
    enum http_phase phase;
    uint64_t since_ns;               /* when the phase began */
    bool kept_alive;                 /* a request was answered on it: WAITING means idle */
    bool in_table;
};

struct http_slots {
    unsigned max_clients, max_closing;
    unsigned count[HTTP_PHASE_COUNT];
    struct list_node queue[HTTP_PHASE_COUNT];   /* EVICTED's stays empty */
};

void http_slots_init(struct http_slots *t, unsigned max_clients, unsigned max_closing);
/* WAITING + HEAD + BODY + RESPONSE. */
unsigned http_slots_clients(const struct http_slots *t);

enum http_admit {
    HTTP_ADMIT_ROOM,                 /* a client slot is free */
    HTTP_ADMIT_EVICT_WAITING,        /* *victim: the connection waiting longest */
    HTTP_ADMIT_EVICT_HEAD,           /* *victim: the request head that began first */
    HTTP_ADMIT_REFUSE,               /* every slot is doing real work */
};
/* What to do with a new connection. Changes nothing: the caller evicts the victim
 * (http_slots_evict) and then adds the new one. */
enum http_admit http_slots_admit(const struct http_slots *t, struct http_slot **victim);
/* The connection to give up when memory, not the limit, is short: the same order as admission
 * (the oldest WAITING, else the oldest HEAD), whatever the count; HTTP_ADMIT_REFUSE and NULL
 * when every client is doing real work. */
enum http_admit http_slots_reclaim(const struct http_slots *t, struct http_slot **victim);

/* A new connection enters WAITING at now (not kept alive yet). */
void http_slots_add(struct http_slots *t, struct http_slot *s, uint64_t now_ns);
/* Moves s to phase (not EVICTED) at now, as the newest of that phase. Entering WAITING from
 * RESPONSE marks it kept alive. Entering CLOSING when max_closing were already closing returns
 * the oldest closing connection, which the caller must cut short (http_slots_evict then ending
 * it); otherwise NULL. */
struct http_slot *http_slots_enter(struct http_slots *t, struct http_slot *s,
                                   enum http_phase phase, uint64_t now_ns);
/* Takes s out of its queue and counts: its owner is to end it now. */
void http_slots_evict(struct http_slots *t, struct http_slot *s);
/* The connection ended: it leaves the table (any phase, once). */
void http_slots_remove(struct http_slots *t, struct http_slot *s);

/* The time limits. Rates are bytes per second, at least 1. */
struct http_timeouts {
    uint64_t idle_ns;                /* kept-alive WAITING */
    uint64_t head_ns;                /* HEAD, and a new connection's WAITING */
    uint64_t body_ns;                /* BODY grace */
    uint32_t body_min_rate;
    uint64_t send_ns;                /* RESPONSE grace */
    uint32_t send_min_rate;
    uint64_t linger_ns;              /* CLOSING */
};
/* When s's current phase must end. progress: BODY, the content bytes received in the phase;
 * RESPONSE, the bytes of the answer the client took; ignored otherwise. EVICTED: since_ns (at
 * once). Saturates instead of wrapping. */
uint64_t http_slot_deadline(const struct http_timeouts *to, const struct http_slot *s,
                            uint64_t progress);

#endif
