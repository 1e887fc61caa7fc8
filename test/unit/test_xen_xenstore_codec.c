/*
 * Unit tests for xen/xenstore_codec.c, the xenstore wire protocol (Xen public io/xs_wire.h
 * and docs/misc/xenstore.txt): 16-byte headers, the XENSTORE_PAYLOAD_MAX limit, error names,
 * NUL-separated strings (directory, perms, watch events "path\0token\0"), permission strings
 * (n/r/w/b + domid), the 1 KiB rings with free-running indices, and reassembly of replies that
 * arrive split at any byte. Malformed or oversized input is refused, never read past. The
 * stream rules: a request (up to XENSTORE_PAYLOAD_MAX of payload) starts only with room for
 * all of it or an empty ring, then streams through; a reply header that breaks a rule leaves
 * the stream broken for good; replies are routed by req_id and type.
 */
#include <check.h>
#include <string.h>

#include "lib/errno.h"
#include "xen/xenstore_codec.h"
#include "test/unit/xen_fixture.h"
#include "xenolith/test_main.h"

static size_t build(uint8_t *buf, uint32_t type, uint32_t req_id, const void *payload,
                    size_t len)
{
    struct xs_piece p = { payload, len };
    long n = xs_encode(buf, XS_MSG_MAX, type, req_id, 0, &p, 1);
    ck_assert_int_ge(n, 0);
    return (size_t)n;
}

START_TEST(encode_lays_out_header_and_pieces)
{
    uint8_t buf[64];
    struct xs_piece p[2] = { { "a/b", 4 }, { "val", 3 } };
    long n = xs_encode(buf, sizeof(buf), XS_WRITE, 7, 9, p, 2);
    ck_assert_int_eq(n, 16 + 7);
    struct xsd_sockmsg h;
    memcpy(&h, buf, 16);
    ck_assert_uint_eq(h.type, XS_WRITE);
    ck_assert_uint_eq(h.req_id, 7);
    ck_assert_uint_eq(h.tx_id, 9);
    ck_assert_uint_eq(h.len, 7);
    ck_assert(memcmp(buf + 16, "a/b\0val", 7) == 0);
}
END_TEST

START_TEST(encode_refuses_oversized_payload)
{
    static uint8_t buf[XS_MSG_MAX + 16];
    static char big[XENSTORE_PAYLOAD_MAX + 1];
    struct xs_piece p = { big, sizeof(big) };
    ck_assert_int_eq(xs_encode(buf, sizeof(buf), XS_WRITE, 1, 0, &p, 1), -EMSGSIZE);
    p.len = XENSTORE_PAYLOAD_MAX;
    ck_assert_int_eq(xs_encode(buf, sizeof(buf), XS_WRITE, 1, 0, &p, 1),
                     16 + XENSTORE_PAYLOAD_MAX);
    ck_assert_int_eq(xs_encode(buf, 20, XS_WRITE, 1, 0, &p, 1), -EMSGSIZE);
}
END_TEST

START_TEST(header_length_and_type_checked)
{
    uint8_t buf[XS_MSG_MAX];
    struct xs_header h;
    build(buf, XS_READ, 3, "x", 1);
    ck_assert_int_eq(xs_decode_header(buf, 16, &h), 0);
    ck_assert_uint_eq(h.req_id, 3);
    ck_assert_int_eq(xs_decode_header(buf, 15, &h), -EBADMSG);
    struct xsd_sockmsg raw = { XS_READ, 1, 0, XENSTORE_PAYLOAD_MAX + 1 };
    memcpy(buf, &raw, 16);
    ck_assert_int_eq(xs_decode_header(buf, 16, &h), -EBADMSG);
    raw = (struct xsd_sockmsg){ 999, 1, 0, 0 };
    memcpy(buf, &raw, 16);
    ck_assert_int_eq(xs_decode_header(buf, 16, &h), -EBADMSG);
}
END_TEST

START_TEST(error_names_map_to_errno)
{
    ck_assert_int_eq(xs_decode_error("EAGAIN", 7), -EAGAIN);
    ck_assert_int_eq(xs_decode_error("ENOENT", 7), -ENOENT);
    ck_assert_int_eq(xs_decode_error("EACCES", 7), -EACCES);
    ck_assert_int_eq(xs_decode_error("EWHATEVER", 10), -EIO);
    ck_assert_int_eq(xs_decode_error("EAGAIN", 6), -EBADMSG);   /* unterminated */
    ck_assert_int_eq(xs_decode_error("", 0), -EBADMSG);
}
END_TEST

START_TEST(strings_split_and_bounded)
{
    const char *items[3];
    ck_assert_int_eq(xs_split_strings("a\0bc\0", 5, items, 3), 2);
    ck_assert_str_eq(items[0], "a");
    ck_assert_str_eq(items[1], "bc");
    ck_assert_int_eq(xs_split_strings("", 0, items, 3), 0);
    ck_assert_int_eq(xs_split_strings("a\0b", 3, items, 3), -EBADMSG);
    ck_assert_int_eq(xs_split_strings("a\0b\0c\0d\0", 8, items, 3), -E2BIG);
    ck_assert_int_eq(xs_split_strings("\0\0", 2, items, 3), 2);   /* empty names */
}
END_TEST

START_TEST(watch_event_needs_path_and_token)
{
    const char *path, *token;
    ck_assert_int_eq(xs_decode_watch_event("/a/b\0tok\0", 9, &path, &token), 0);
    ck_assert_str_eq(path, "/a/b");
    ck_assert_str_eq(token, "tok");
    ck_assert_int_eq(xs_decode_watch_event("/a/b\0", 5, &path, &token), -EBADMSG);
    ck_assert_int_eq(xs_decode_watch_event("/a/b\0tok", 8, &path, &token), -EBADMSG);
    ck_assert_int_eq(xs_decode_watch_event("", 0, &path, &token), -EBADMSG);
}
END_TEST

START_TEST(perms_round_trip_and_refusals)
{
    struct xs_perm in[3] = { { 'n', 5 }, { 'r', 0 }, { 'b', 65535 } }, out[3];
    char buf[64];
    long n = xs_encode_perms(buf, sizeof(buf), in, 3);
    ck_assert_int_eq(n, 3 + 3 + 7);
    ck_assert(memcmp(buf, "n5\0r0\0b65535\0", (size_t)n) == 0);
    ck_assert_int_eq(xs_decode_perms(buf, (size_t)n, out, 3), 3);
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(out[i].access, in[i].access);
        ck_assert_uint_eq(out[i].domid, in[i].domid);
    }
    ck_assert_int_eq(xs_decode_perms("x1\0", 3, out, 3), -EBADMSG);
    ck_assert_int_eq(xs_decode_perms("r\0", 2, out, 3), -EBADMSG);
    ck_assert_int_eq(xs_decode_perms("r65536\0", 7, out, 3), -EBADMSG);
    ck_assert_int_eq(xs_decode_perms("r1a\0", 4, out, 3), -EBADMSG);
    ck_assert_int_eq(xs_decode_perms("", 0, out, 3), -EBADMSG);
    ck_assert_int_eq(xs_decode_perms("r1\0r2\0", 6, out, 1), -E2BIG);
    struct xs_perm bad = { 'x', 1 };
    ck_assert_int_eq(xs_encode_perms(buf, sizeof(buf), &bad, 1), -EINVAL);
    ck_assert_int_eq(xs_encode_perms(buf, 3, in, 3), -EMSGSIZE);
}
END_TEST

START_TEST(rings_wrap_and_refuse_corrupt_indices)
{
    static struct xenstore_domain_interface intf;
    memset(&intf, 0, sizeof(intf));
    intf.req_prod = intf.req_cons = 0xfffffffeu;
    ck_assert_int_eq(xs_ring_write(&intf, "abcd", 4, 0), 4);
    ck_assert_uint_eq(intf.req_prod, 2);
    ck_assert(intf.req[1022] == 'a' && intf.req[1] == 'd');
    /* 4 bytes used: a ring-sized message cannot start (it needs an empty ring)... */
    static char big[XENSTORE_RING_SIZE];
    ck_assert_int_eq(xs_ring_write(&intf, big, sizeof(big), 0), 0);
    ck_assert_int_eq(xs_ring_write(&intf, big, XENSTORE_RING_SIZE - 4, 0),
                     XENSTORE_RING_SIZE - 4);
    /* ...and a full ring takes nothing, neither a new message nor the rest of one. */
    ck_assert_int_eq(xs_ring_write(&intf, "x", 1, 0), 0);
    ck_assert_int_eq(xs_ring_write(&intf, big, sizeof(big), 100), 0);
    ck_assert_int_eq(xs_ring_write(&intf, "x", 1, 1), -EMSGSIZE);   /* nothing left to send */
    intf.req_cons = intf.req_prod + 1;   /* consumer ahead of producer: corrupt */
    ck_assert_int_eq(xs_ring_write(&intf, "x", 1, 0), -EPROTO);

    intf.rsp_cons = 0xffffffffu;
    intf.rsp[1023] = 'p';
    intf.rsp[0] = 'q';
    intf.rsp_prod = 1;
    char out[8];
    ck_assert_int_eq(xs_ring_read(&intf, out, sizeof(out)), 2);
    ck_assert(out[0] == 'p' && out[1] == 'q');
    ck_assert_uint_eq(intf.rsp_cons, 1);
    intf.rsp_prod = intf.rsp_cons + XENSTORE_RING_SIZE + 1;
    ck_assert_int_eq(xs_ring_read(&intf, out, sizeof(out)), -EPROTO);
    ck_assert_uint_eq(intf.rsp_cons, 1);
}
END_TEST

START_TEST(assembler_handles_any_split)
{
    static uint8_t stream[2 * XS_MSG_MAX];
    size_t a = build(stream, XS_READ, 1, "hello", 5);
    size_t b = build(stream + a, XS_WATCH_EVENT, 0, "/p\0t\0", 5);
    size_t c = build(stream + a + b, XS_RM, 2, "OK", 3);
    size_t total = a + b + c;
    for (size_t chunk = 1; chunk <= total; chunk++) {
        static struct xs_assembler as;
        xs_assembler_reset(&as);
        unsigned got = 0;
        uint32_t types[3];
        for (size_t at = 0; at < total;) {
            size_t n = total - at < chunk ? total - at : chunk;
            size_t used = 0;
            while (used < n) {
                bool complete;
                long took = xs_assembler_feed(&as, stream + at + used, n - used, &complete);
                ck_assert_int_gt(took, 0);
                used += (size_t)took;
                if (complete) {
                    ck_assert_uint_lt(got, 3);
                    types[got++] = as.header.type;
                }
            }
            at += n;
        }
        ck_assert_uint_eq(got, 3);
        ck_assert_uint_eq(types[0], XS_READ);
        ck_assert_uint_eq(types[1], XS_WATCH_EVENT);
        ck_assert_uint_eq(types[2], XS_RM);
    }
}
END_TEST

START_TEST(assembler_refuses_oversized_header)
{
    static struct xs_assembler as;
    xs_assembler_reset(&as);
    struct xsd_sockmsg h = { XS_READ, 1, 0, XENSTORE_PAYLOAD_MAX + 1 };
    bool complete;
    ck_assert_int_eq(xs_assembler_feed(&as, &h, sizeof(h), &complete), -EBADMSG);
    ck_assert(!complete);
    ck_assert_ptr_nonnull(as.broken);
}
END_TEST

/* ---- the stream rules (against a fake shared page playing the daemon) ---- */

static struct xenstore_domain_interface fake;

/* The daemon's side of the request ring: takes up to max bytes. */
static size_t daemon_take(uint8_t *out, size_t max)
{
    size_t n = 0;
    while (fake.req_cons != fake.req_prod && n < max)
        out[n++] = (uint8_t)fake.req[MASK_XENSTORE_IDX(fake.req_cons++)];
    return n;
}

/* The daemon's side of the response ring. */
static void daemon_put(const void *data, size_t len)
{
    const uint8_t *p = data;
    for (size_t i = 0; i < len; i++)
        fake.rsp[MASK_XENSTORE_IDX(fake.rsp_prod++)] = (char)p[i];
}

static size_t request(uint8_t *buf, uint32_t req_id, const char *path, size_t pad)
{
    static char value[XS_MSG_MAX];
    memset(value, 'v', pad);
    struct xs_piece p[2] = { { path, strlen(path) + 1 }, { value, pad } };
    long n = xs_encode(buf, XS_MSG_MAX, XS_WRITE, req_id, 0, p, 2);
    ck_assert_int_gt(n, 0);
    return (size_t)n;
}

/* xs_wire.h: the daemon reads the request ring as one stream framed by the headers' lengths.
 * A request that does not fit yet writes nothing, so when the writer gives up (its deadline)
 * the next request still starts at a message boundary: the daemon reads that request whole,
 * not as the payload of half of the first one. */
START_TEST(request_starts_only_with_room_for_all)
{
    memset(&fake, 0, sizeof(fake));
    static uint8_t filler[XENSTORE_RING_SIZE], taken[2 * XENSTORE_RING_SIZE];
    uint8_t a[XS_MSG_MAX], b[XS_MSG_MAX];
    size_t fill = XENSTORE_RING_SIZE - 60;
    ck_assert_int_eq(xs_ring_write(&fake, filler, fill, 0), (long)fill);
    ck_assert_uint_eq(daemon_take(taken, fill), fill);   /* the daemon read it: ring empty... */
    ck_assert_int_eq(xs_ring_write(&fake, filler, fill, 0), (long)fill);   /* ...and full again */
    daemon_take(taken, fill);
    ck_assert_int_eq(xs_ring_write(&fake, filler, fill, 0), (long)fill);
    /* 60 bytes free: a 100-byte request does not go in, not even partly. */
    size_t la = request(a, 7, "data/a", 100 - 16 - 7);
    ck_assert_uint_eq(la, 100);
    XENSTORE_RING_IDX prod = fake.req_prod;
    ck_assert_int_eq(xs_ring_write(&fake, a, la, 0), 0);
    ck_assert_uint_eq(fake.req_prod, prod);
    /* Its writer gave up; the next request (30 bytes) fits and goes in whole. */
    size_t lb = request(b, 8, "data/b", 30 - 16 - 7);
    ck_assert_int_eq(xs_ring_write(&fake, b, lb, 0), (long)lb);
    ck_assert_uint_eq(fake.req_prod, prod + lb);
    /* The daemon parses: the filler, then request 8 exactly. */
    size_t n = daemon_take(taken, sizeof(taken));
    ck_assert_uint_eq(n, fill + lb);
    struct xsd_sockmsg h;
    memcpy(&h, taken + fill, sizeof(h));
    ck_assert_uint_eq(h.req_id, 8);
    ck_assert_uint_eq(h.len, lb - 16);
    ck_assert_int_eq(memcmp(taken + fill, b, lb), 0);
}
END_TEST

/* xs_wire.h allows XENSTORE_PAYLOAD_MAX (4096) bytes of payload, four times the 1 KiB ring:
 * such a request starts only into an empty ring and then streams through it as the daemon
 * takes bytes, arriving intact (header, then every payload byte, across ring wraps). */
START_TEST(request_up_to_payload_max_streams_through_ring)
{
    memset(&fake, 0, sizeof(fake));
    fake.req_prod = fake.req_cons = 0xfffffff0u;   /* the indices wrap during the message */
    static uint8_t msg[XS_MSG_MAX], taken[XS_MSG_MAX];
    size_t len = request(msg, 3, "data/big", XENSTORE_PAYLOAD_MAX - 9);
    ck_assert_uint_eq(len, XS_MSG_MAX);
    for (size_t i = 16 + 9; i < len; i++)
        msg[i] = (uint8_t)('a' + i % 26);
    ck_assert_int_eq(xs_ring_write(&fake, "x", 1, 0), 1);
    /* One byte in the ring: a message larger than the ring waits for it to be empty. */
    ck_assert_int_eq(xs_ring_write(&fake, msg, len, 0), 0);
    daemon_take(taken, 1);
    size_t sent = 0, got = 0;
    for (unsigned round = 0; sent < len; round++) {
        ck_assert_uint_lt(round, 64);
        long n = xs_ring_write(&fake, msg, len, sent);
        ck_assert_int_gt(n, 0);
        ck_assert_int_le(n, XENSTORE_RING_SIZE);
        sent += (size_t)n;
        if (sent < len)   /* it filled the ring: nothing more until the daemon reads */
            ck_assert_int_eq(xs_ring_write(&fake, msg, len, sent), 0);
        got += daemon_take(taken + got, 700);   /* the daemon reads in its own pieces */
    }
    got += daemon_take(taken + got, sizeof(taken) - got);
    ck_assert_uint_eq(got, len);
    ck_assert_int_eq(memcmp(taken, msg, len), 0);
}
END_TEST

/* A message above XS_MSG_MAX (payload above XENSTORE_PAYLOAD_MAX) is refused before any
 * byte is written, even into an empty ring, as is an empty one. */
START_TEST(request_over_payload_max_refused)
{
    memset(&fake, 0, sizeof(fake));
    static uint8_t big[XS_MSG_MAX + 1];
    ck_assert_int_eq(xs_ring_write(&fake, big, sizeof(big), 0), -EMSGSIZE);
    ck_assert_uint_eq(fake.req_prod, 0);
    ck_assert_int_eq(xs_ring_write(&fake, big, 0, 0), -EMSGSIZE);
    ck_assert_uint_eq(fake.req_prod, 0);
}
END_TEST

/* Reads the response ring through the assembler the way the reader fiber does; returns how
 * many messages were delivered and whether the assembler ended broken. */
static unsigned read_stream(struct xs_assembler *as, size_t chunk, uint32_t *types, bool *broken)
{
    unsigned got = 0;
    uint8_t buf[300];
    *broken = false;
    for (;;) {
        long n = xs_ring_read(&fake, buf, chunk);
        ck_assert_int_ge(n, 0);
        if (n == 0 || *broken)
            return got;
        for (long used = 0; used < n;) {
            bool complete;
            long took = xs_assembler_feed(as, buf + used, (size_t)(n - used), &complete);
            if (took < 0) {
                ck_assert(!complete);
                *broken = true;
                break;
            }
            used += took;
            if (complete)
                types[got++] = as->header.type;
        }
    }
}

/* xs_wire.h framing: after a header with a length above XENSTORE_PAYLOAD_MAX or a type no
 * request has, the stream has no boundary left to trust. The assembler stays broken, naming
 * the rule, and delivers nothing more (not the good-looking messages that follow, whatever
 * the chunking), rather than starting over on the bytes after the bad header. */
START_TEST(bad_reply_header_breaks_stream_for_good)
{
    static struct xs_assembler as;
    uint8_t msg[XS_MSG_MAX];
    struct xsd_sockmsg bad[2] = { { XS_READ, 1, 0, XENSTORE_PAYLOAD_MAX + 1 }, { 999, 1, 0, 0 } };
    const char *rule[2] = { "reply length above XENSTORE_PAYLOAD_MAX", "reply type no request has" };
    for (int which = 0; which < 2; which++) {
        for (size_t chunk = 1; chunk <= 64; chunk += 7) {
            memset(&fake, 0, sizeof(fake));
            xs_assembler_reset(&as);
            size_t n = build(msg, XS_READ, 1, "ok", 3);
            daemon_put(msg, n);
            daemon_put(&bad[which], sizeof(bad[which]));
            n = build(msg, XS_READ, 2, "after", 6);   /* would parse, if we resynchronised */
            daemon_put(msg, n);
            daemon_put(msg, n);
            uint32_t types[8];
            bool broken;
            ck_assert_uint_eq(read_stream(&as, chunk, types, &broken), 1);
            ck_assert(broken);
            ck_assert_ptr_nonnull(as.broken);
            ck_assert_str_eq(as.broken, rule[which]);
            /* And nothing ever again, even a whole good message fed directly. */
            bool complete = true;
            ck_assert_int_eq(xs_assembler_feed(&as, msg, n, &complete), -EBADMSG);
            ck_assert(!complete);
        }
    }
}
END_TEST

/* A rule found above the framing (xs_route_reply) breaks the assembler the same way. */
START_TEST(break_from_routing_is_final)
{
    static struct xs_assembler as;
    xs_assembler_reset(&as);
    uint8_t msg[XS_MSG_MAX];
    size_t n = build(msg, XS_READ, 1, "ok", 3);
    bool complete;
    ck_assert_int_eq(xs_assembler_feed(&as, msg, n, &complete), (long)n);
    ck_assert(complete);
    xs_assembler_break(&as, "reply to a request id never sent");
    ck_assert_int_eq(xs_assembler_feed(&as, msg, n, &complete), -EBADMSG);
    ck_assert(!complete);
    ck_assert_str_eq(as.broken, "reply to a request id never sent");
    xs_assembler_reset(&as);   /* only a new connection starts over */
    ck_assert_ptr_null(as.broken);
}
END_TEST

/* Routing (xs_wire.h: replies carry the req_id and, but for XS_ERROR, the type of their
 * request): a reply for a request in flight with its type or XS_ERROR is delivered; another
 * type breaks the stream; a reply to an id we sent but no longer wait for (it timed out) is
 * late and dropped; one to an id never sent breaks the stream; watch events go to watches. */
START_TEST(replies_routed_by_id_and_type)
{
    struct xs_req_ids ids = { 0, 0 };
    const char *rule;
    struct xs_header h = { XS_READ, 1, 0, 0 };
    ck_assert_int_eq(xs_route_reply(&h, false, 0, &ids, &rule), XS_ROUTE_BROKEN);
    ck_assert_str_eq(rule, "reply to a request id never sent");
    ck_assert_uint_eq(xs_req_id_issue(&ids), 1);
    ck_assert_uint_eq(xs_req_id_issue(&ids), 2);
    ck_assert_int_eq(xs_route_reply(&h, true, XS_READ, &ids, &rule), XS_ROUTE_REPLY);
    h.type = XS_ERROR;
    ck_assert_int_eq(xs_route_reply(&h, true, XS_READ, &ids, &rule), XS_ROUTE_REPLY);
    h.type = XS_WRITE;
    ck_assert_int_eq(xs_route_reply(&h, true, XS_READ, &ids, &rule), XS_ROUTE_BROKEN);
    ck_assert_str_eq(rule, "reply type differs from its request's");
    h.type = XS_READ;
    ck_assert_int_eq(xs_route_reply(&h, false, 0, &ids, &rule), XS_ROUTE_LATE);
    h.req_id = 3;
    ck_assert_int_eq(xs_route_reply(&h, false, 0, &ids, &rule), XS_ROUTE_BROKEN);
    h.req_id = 0;
    ck_assert_int_eq(xs_route_reply(&h, false, 0, &ids, &rule), XS_ROUTE_BROKEN);
    h = (struct xs_header){ XS_WATCH_EVENT, 0, 0, 5 };
    ck_assert_int_eq(xs_route_reply(&h, false, 0, &ids, &rule), XS_ROUTE_WATCH_EVENT);
}
END_TEST

/* Request ids skip 0 when they wrap, and "was issued" follows them across the wrap. */
START_TEST(request_ids_wrap_without_zero)
{
    struct xs_req_ids ids = { 0xfffffffeu, 5 };
    ck_assert_uint_eq(xs_req_id_issue(&ids), 0xfffffffeu);
    ck_assert_uint_eq(xs_req_id_issue(&ids), 0xffffffffu);
    ck_assert_uint_eq(xs_req_id_issue(&ids), 1);
    ck_assert(xs_req_id_was_issued(&ids, 1));
    ck_assert(xs_req_id_was_issued(&ids, 0xffffffffu));
    ck_assert(xs_req_id_was_issued(&ids, 0xfffffffeu));
    ck_assert(!xs_req_id_was_issued(&ids, 0));
    ck_assert(!xs_req_id_was_issued(&ids, 2));
    /* issued = 8: the 8 ids up to 1 are 0xfffffff9..0xffffffff and 1. */
    ck_assert(xs_req_id_was_issued(&ids, 0xfffffff9u));
    ck_assert(!xs_req_id_was_issued(&ids, 0xfffffff8u));
}
END_TEST

static Suite *xen_xenstore_codec_suite(void)
{
    Suite *s = suite_create("xen_xenstore_codec");
    TCase *tc = tcase_create("codec");
    tcase_add_test(tc, encode_lays_out_header_and_pieces);
    tcase_add_test(tc, encode_refuses_oversized_payload);
    tcase_add_test(tc, header_length_and_type_checked);
    tcase_add_test(tc, error_names_map_to_errno);
    tcase_add_test(tc, strings_split_and_bounded);
    tcase_add_test(tc, watch_event_needs_path_and_token);
    tcase_add_test(tc, perms_round_trip_and_refusals);
    tcase_add_test(tc, rings_wrap_and_refuse_corrupt_indices);
    tcase_add_test(tc, assembler_handles_any_split);
    tcase_add_test(tc, assembler_refuses_oversized_header);
    tcase_add_test(tc, request_starts_only_with_room_for_all);
    tcase_add_test(tc, request_up_to_payload_max_streams_through_ring);
    tcase_add_test(tc, request_over_payload_max_refused);
    tcase_add_test(tc, bad_reply_header_breaks_stream_for_good);
    tcase_add_test(tc, break_from_routing_is_final);
    tcase_add_test(tc, replies_routed_by_id_and_type);
    tcase_add_test(tc, request_ids_wrap_without_zero);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(xen_xenstore_codec_suite)
