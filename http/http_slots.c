/*
 * net/http_slots: the connection table's phases, the overload order and the deadlines of each
 * phase (see http_slots.h).
 */
#include "http/http_slots.h"

#define NS_PER_S 1000000000ull

static const char *const phase_names[HTTP_PHASE_COUNT] = {
    "waiting", "head", "body", "response", "closing", "evicted",
};

const char *http_phase_name(enum http_phase phase)
{
    return (unsigned)phase < HTTP_PHASE_COUNT ? phase_names[phase] : "?";
}

void http_slots_init(struct http_slots *t, unsigned max_clients, unsigned max_closing)
{
    t->max_clients = max_clients;
    t->max_closing = max_closing;
    for (unsigned p = 0; p < HTTP_PHASE_COUNT; p++) {
        t->count[p] = 0;
        list_init(&t->queue[p]);
    }
}

unsigned http_slots_clients(const struct http_slots *t)
{
    return t->count[HTTP_PHASE_WAITING] + t->count[HTTP_PHASE_HEAD] + t->count[HTTP_PHASE_BODY] +
           t->count[HTTP_PHASE_RESPONSE];
}

static struct http_slot *oldest(const struct http_slots *t, enum http_phase phase)
{
    const struct list_node *q = &t->queue[phase];
    return list_empty(q) ? NULL : container_of(q->next, struct http_slot, link);
}

enum http_admit http_slots_reclaim(const struct http_slots *t, struct http_slot **victim)
{
    if ((*victim = oldest(t, HTTP_PHASE_WAITING)) != NULL)
        return HTTP_ADMIT_EVICT_WAITING;
    if ((*victim = oldest(t, HTTP_PHASE_HEAD)) != NULL)
        return HTTP_ADMIT_EVICT_HEAD;
    return HTTP_ADMIT_REFUSE;
}

enum http_admit http_slots_admit(const struct http_slots *t, struct http_slot **victim)
{
    *victim = NULL;
    if (http_slots_clients(t) < t->max_clients)
        return HTTP_ADMIT_ROOM;
    return http_slots_reclaim(t, victim);
}

static void leave(struct http_slots *t, struct http_slot *s)
{
    if (!s->in_table)
        return;
    list_remove(&s->link);
    t->count[s->phase]--;
}

static void join(struct http_slots *t, struct http_slot *s, enum http_phase phase, uint64_t now)
{
    s->phase = phase;
    s->since_ns = now;
    s->in_table = true;
    t->count[phase]++;
    if (phase != HTTP_PHASE_EVICTED)
        list_add_tail(&t->queue[phase], &s->link);
    else
        list_init(&s->link);
}

void http_slots_add(struct http_slots *t, struct http_slot *s, uint64_t now_ns)
{
    s->kept_alive = false;
    s->in_table = false;
    join(t, s, HTTP_PHASE_WAITING, now_ns);
}

struct http_slot *http_slots_enter(struct http_slots *t, struct http_slot *s,
                                   enum http_phase phase, uint64_t now_ns)
{
    if (!s->in_table || s->phase == HTTP_PHASE_EVICTED || phase == HTTP_PHASE_EVICTED)
        return NULL;             /* an evicted connection is on its way out: it stays so */
    if (phase == HTTP_PHASE_WAITING && s->phase == HTTP_PHASE_RESPONSE)
        s->kept_alive = true;
    leave(t, s);
    join(t, s, phase, now_ns);
    if (phase == HTTP_PHASE_CLOSING && t->count[HTTP_PHASE_CLOSING] > t->max_closing)
        return oldest(t, HTTP_PHASE_CLOSING);
    return NULL;
}

void http_slots_evict(struct http_slots *t, struct http_slot *s)
{
    if (!s->in_table || s->phase == HTTP_PHASE_EVICTED)
        return;
    uint64_t since = s->since_ns;
    leave(t, s);
    join(t, s, HTTP_PHASE_EVICTED, since);
}

void http_slots_remove(struct http_slots *t, struct http_slot *s)
{
    leave(t, s);
    s->in_table = false;
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
    return a + b < a ? UINT64_MAX : a + b;
}

/* grace plus one second per `rate` bytes of progress, saturating. */
static uint64_t rate_allowance(uint64_t grace_ns, uint64_t progress, uint32_t rate)
{
    if (rate == 0)
        rate = 1;
    uint64_t whole = progress / rate, part = progress % rate;
    if (whole > UINT64_MAX / NS_PER_S)
        return UINT64_MAX;
    return add_sat(grace_ns, add_sat(whole * NS_PER_S, part * NS_PER_S / rate));
}

uint64_t http_slot_deadline(const struct http_timeouts *to, const struct http_slot *s,
                            uint64_t progress)
{
    switch (s->phase) {
    case HTTP_PHASE_WAITING:
        return add_sat(s->since_ns, s->kept_alive ? to->idle_ns : to->head_ns);
    case HTTP_PHASE_HEAD:
        return add_sat(s->since_ns, to->head_ns);
    case HTTP_PHASE_BODY:
        return add_sat(s->since_ns, rate_allowance(to->body_ns, progress, to->body_min_rate));
    case HTTP_PHASE_RESPONSE:
        return add_sat(s->since_ns, rate_allowance(to->send_ns, progress, to->send_min_rate));
    case HTTP_PHASE_CLOSING:
        return add_sat(s->since_ns, to->linger_ns);
    default:
        return s->since_ns;
    }
}
