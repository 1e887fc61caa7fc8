/*
 * Fuzz harness: xenstore replies as the daemon writes them (xen/xenstore_codec.c). The first
 * 8 bytes set the response ring's producer and consumer indices (often impossible ones); the
 * rest is the ring's content. The ring is read in chunks whose sizes come from the input,
 * fed to the reassembler, and every complete message is decoded the way the client would
 * (error name, string list, watch event, permissions).
 * Each complete message is routed (xs_route_reply) as if requests with odd ids of the same
 * type were in flight and ids below one taken from the input had been sent; a route that
 * breaks the stream breaks the assembler, as the client does. The same indices and content
 * are also used as the request ring and a request to write into it.
 * Checks: no crash or sanitizer report; the reader never takes more than the ring holds nor
 * accepts impossible indices; a completed message's payload length is within
 * XENSTORE_PAYLOAD_MAX; every decoded string lies inside its payload and is terminated there;
 * once a header was refused or a route broke the stream, nothing more is ever delivered and
 * the assembler names the rule; a request's next bytes go in exactly as far as there is room
 * (req_prod moved by that much), its first only with room for all of it or an empty ring,
 * and a refused one leaves ring and indices untouched.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/errno.h"
#include "xen/xenstore_codec.h"

static void check_within(const char *s, const char *payload, size_t len)
{
    if (s < payload || s >= payload + len)
        abort();
    if (!memchr(s, '\0', (size_t)(payload + len - s)))
        abort();
}

static void decode(const struct xs_assembler *a)
{
    if (a->header.len > XENSTORE_PAYLOAD_MAX || a->have != XS_HEADER_SIZE + a->header.len)
        abort();
    const char *payload = (const char *)a->buf + XS_HEADER_SIZE;
    size_t len = a->header.len;
    const char *items[16];
    int n = xs_split_strings(payload, len, items, 16);
    for (int i = 0; i < n; i++)
        check_within(items[i], payload, len);
    const char *path, *token;
    if (xs_decode_watch_event(payload, len, &path, &token) == 0) {
        check_within(path, payload, len);
        check_within(token, payload, len);
    }
    struct xs_perm perms[8];
    int np = xs_decode_perms(payload, len, perms, 8);
    for (int i = 0; i < np; i++)
        if (!strchr("nrwb", perms[i].access) || perms[i].access == '\0')
            abort();
    int err = xs_decode_error(payload, len);
    if (err >= 0)
        abort();
}

/* The next bytes of a request after `sent` go in as far as there is room; its first byte
 * only when the ring has room for all of it, or is empty for one larger than the ring. */
static void check_request_write(uint32_t prod, uint32_t cons, const uint8_t *msg, size_t len,
                                size_t sent)
{
    static struct xenstore_domain_interface intf;
    static char before[XENSTORE_RING_SIZE];
    memset(&intf, 0, sizeof(intf));
    memset((void *)intf.req, 0x5a, sizeof(intf.req));
    intf.req_prod = prod;
    intf.req_cons = cons;
    memcpy(before, (const void *)intf.req, sizeof(before));
    long n = xs_ring_write(&intf, msg, len, sent);
    uint32_t used = prod - cons;
    size_t room = used > XENSTORE_RING_SIZE ? 0 : XENSTORE_RING_SIZE - used;
    size_t start_room = len < XENSTORE_RING_SIZE ? len : XENSTORE_RING_SIZE;
    if (n <= 0) {
        if (intf.req_prod != prod || memcmp(before, (const void *)intf.req, sizeof(before)))
            abort();
        /* Refused only for a reason: bad size, corrupt indices, or no room (to start). */
        bool bad_size = len == 0 || len > XS_MSG_MAX || sent >= len;
        if ((n == -EMSGSIZE) != bad_size)
            abort();
        if (!bad_size && (n == -EPROTO) != (used > XENSTORE_RING_SIZE))
            abort();
        if (n == 0 && room != 0 && !(sent == 0 && room < start_room))
            abort();
        return;
    }
    size_t want = len - sent < room ? len - sent : room;
    if ((size_t)n != want || (sent == 0 && room < start_room) ||
        intf.req_prod != prod + (uint32_t)n)
        abort();
    for (size_t i = 0; i < (size_t)n; i++)
        if ((uint8_t)intf.req[MASK_XENSTORE_IDX(prod + (uint32_t)i)] != msg[sent + i])
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct xenstore_domain_interface intf;
    static struct xs_assembler as;
    if (size < 9)
        return 0;
    memset(&intf, 0, sizeof(intf));
    uint32_t prod, cons;
    memcpy(&prod, data, 4);
    memcpy(&cons, data + 4, 4);
    uint8_t chunk_seed = data[8];
    data += 9;
    size -= 9;
    /* Half the time the request is part-written already (the last byte says how far). */
    size_t sent = (chunk_seed & 2) && size ? (size_t)data[size - 1] * 17 % size : 0;
    check_request_write(prod, cons, data, size, sent);
    /* Ids below this were "sent": the first payload byte picks how many. */
    struct xs_req_ids ids = { 0, 0 };
    for (unsigned i = 0, n = size ? data[0] % 8 : 0; i < n; i++)
        xs_req_id_issue(&ids);
    size_t copy = size < XENSTORE_RING_SIZE ? size : XENSTORE_RING_SIZE;
    memcpy((void *)intf.rsp, data, copy);
    /* Half the time make the indices describe exactly what was copied. */
    if (chunk_seed & 1)
        prod = cons + (uint32_t)copy;
    intf.rsp_prod = prod;
    intf.rsp_cons = cons;
    xs_assembler_reset(&as);
    uint8_t buf[300];
    size_t chunk = (size_t)(chunk_seed >> 1) % sizeof(buf) + 1;
    bool broken = false;
    for (int rounds = 0; rounds < 64; rounds++) {
        uint32_t before = intf.rsp_cons;
        long n = xs_ring_read(&intf, buf, chunk);
        if (n < 0) {
            if ((uint32_t)(intf.rsp_prod - intf.rsp_cons) <= XENSTORE_RING_SIZE || intf.rsp_cons != before)
                abort();
            break;
        }
        if ((size_t)n > chunk || (uint32_t)(intf.rsp_cons - before) != (uint32_t)n)
            abort();
        if (n == 0)
            break;
        for (long used = 0; used < n;) {
            bool complete;
            long took = xs_assembler_feed(&as, buf + used, (size_t)(n - used), &complete);
            if (took < 0) {
                /* Refused: the rule is named, nothing was delivered, and it stays so. */
                if (complete || !as.broken)
                    abort();
                broken = true;
                break;
            }
            if (broken || as.broken)
                abort();   /* something was taken after the stream broke */
            if (took == 0 && !complete)
                abort();
            used += took;
            if (complete) {
                decode(&as);
                const char *rule;
                bool waiting = as.header.req_id & 1;
                if (xs_route_reply(&as.header, waiting, as.header.type ^ (chunk_seed & 2 ? 1u : 0u),
                                   &ids, &rule) == XS_ROUTE_BROKEN) {
                    if (!rule)
                        abort();
                    xs_assembler_break(&as, rule);
                }
            }
        }
    }
    return 0;
}
