/*
 * xen/xenstore_codec: the xenstore wire protocol (<xen/io/xs_wire.h>) as pure functions, so
 * every rule is unit-tested (test/unit/test_xen_xenstore_codec.c) and fuzzed
 * (test/fuzz/fuzz_xenstore*.c) on the host; xen/xenstore.c adds the event channel and fibers.
 *
 * A message is a 16-byte header {type, req_id, tx_id, len} and `len` payload bytes, len at most
 * XENSTORE_PAYLOAD_MAX. Requests carry NUL-terminated strings (a write's value is the last
 * piece and is not terminated); replies carry a value (read), NUL-separated names (directory),
 * "OK" (most writes), an error name (XS_ERROR) or, unrequested, a watch event "path\0token\0".
 * The shared page holds two 1 KiB rings (req, rsp) with free-running 32-bit indices.
 * Everything coming from the other side is checked: a header with an impossible length or
 * type, an unterminated string, or ring indices further apart than the ring is refused with
 * -EBADMSG/-EPROTO, never read past.
 *
 * The stream rules (both directions are byte streams framed only by the headers' lengths):
 *  - a request (up to XENSTORE_PAYLOAD_MAX of payload) streams through the 1 KiB ring, one
 *    writer at a time, starting only when the ring has room for all of it or is empty
 *    (xs_ring_write);
 *  - a reply header that breaks a rule (length, type, a reply to an id never sent, a type
 *    other than its request's) leaves the stream out of step for good: the assembler stays
 *    broken and delivers nothing more (xs_assembler_feed, xs_route_reply), and the client
 *    fails the whole connection rather than parse the rest at the wrong boundaries.
 */
#ifndef XENOLITH_XEN_XENSTORE_CODEC_H
#define XENOLITH_XEN_XENSTORE_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* xs_wire.h defines a table of errno names whenever EINVAL is defined, naming errors
 * lib/errno.h lacks; hide EINVAL from it (we map names ourselves, xs_decode_error). */
#pragma push_macro("EINVAL")
#undef EINVAL
#include <xen/io/xs_wire.h>
#pragma pop_macro("EINVAL")

#define XS_HEADER_SIZE 16u
#define XS_MSG_MAX (XS_HEADER_SIZE + XENSTORE_PAYLOAD_MAX)

struct xs_header {
    uint32_t type, req_id, tx_id, len;
};

struct xs_piece {
    const void *data;
    size_t len;
};

/* Writes header and pieces into buf[cap]. Returns the message size, or -EMSGSIZE when the
 * payload exceeds XENSTORE_PAYLOAD_MAX or cap. */
long xs_encode(void *buf, size_t cap, uint32_t type, uint32_t req_id, uint32_t tx_id,
               const struct xs_piece *pieces, size_t count);

/* Reads a header. -EBADMSG for a length above XENSTORE_PAYLOAD_MAX or a type we never expect
 * in a reply (only replies to our requests, XS_ERROR and XS_WATCH_EVENT are);
 * xs_header_problem names the rule broken (NULL for a good header). */
int xs_decode_header(const void *buf, size_t len, struct xs_header *out);
const char *xs_header_problem(const void *buf, size_t len);

/* The negative errno an XS_ERROR payload names ("EAGAIN\0" -> -EAGAIN); unknown -> -EIO,
 * unterminated -> -EBADMSG. */
int xs_decode_error(const char *payload, size_t len);

/* Splits a payload of NUL-terminated strings (directory, get_perms, watch events) into
 * items[max]. Returns the count, -EBADMSG if the last string is unterminated, -E2BIG if more
 * than max. An empty payload is zero strings. */
int xs_split_strings(const char *payload, size_t len, const char **items, size_t max);

/* A watch event payload: exactly "path\0token\0" (extra strings are ignored, as xenstored may
 * append). -EBADMSG otherwise. */
int xs_decode_watch_event(const char *payload, size_t len, const char **path,
                          const char **token);

/* Permissions: one entry per string, a letter (n none, r read, w write, b both) and a domain
 * id; the first entry names the owner and the default for other domains. */
struct xs_perm {
    char access;        /* 'n', 'r', 'w', 'b' */
    uint16_t domid;
};
int xs_decode_perms(const char *payload, size_t len, struct xs_perm *out, size_t max);
/* Encodes perms as NUL-terminated strings into buf[cap]; returns bytes or -EMSGSIZE/-EINVAL. */
long xs_encode_perms(char *buf, size_t cap, const struct xs_perm *perms, size_t count);

/* ---- the shared rings ---- */
/* The daemon reads the request ring as one byte stream framed by the headers' lengths and
 * takes a message's bytes as they come, so a request of up to XS_MSG_MAX bytes (header and
 * XENSTORE_PAYLOAD_MAX of payload, four times the ring) streams through the 1 KiB ring in
 * pieces. Two rules keep the stream in step (the client keeps the first; this the second):
 *  - one writer at a time sends one whole message;
 *  - a message's first byte goes in only when the ring has room for all of it, or, for a
 *    message larger than the ring, when the ring is empty: a writer that gives up before it
 *    started has written nothing, and the next request still starts at a message boundary.
 * Copies the next bytes of msg[len] after the `sent` already written, as many as there is
 * room for. Returns the bytes copied now (0 when there is no room yet, or not the room to
 * start), -EMSGSIZE when len is 0 or above XS_MSG_MAX or sent is not below len, -EPROTO if
 * the indices are corrupt. The bytes are visible before the new req_prod (release). */
long xs_ring_write(volatile struct xenstore_domain_interface *intf, const void *msg, size_t len,
                   size_t sent);
/* Copies up to len bytes out of the response ring; returns bytes read, -EPROTO if corrupt.
 * rsp_cons moves after the bytes are copied (the slots are then free for the daemon). */
long xs_ring_read(volatile struct xenstore_domain_interface *intf, void *buf, size_t len);

/* ---- the response stream ---- */
/* Reassembles messages from the response stream. Feed it bytes until it has one message.
 * The stream has no markers to find a message boundary again: once a header breaks a rule
 * the assembler is broken for good (`broken` names the rule) and takes and delivers nothing
 * more, rather than reading the rest of the stream as headers at the wrong places. */
struct xs_assembler {
    uint8_t buf[XS_MSG_MAX];
    size_t have;
    struct xs_header header;
    bool header_ok;
    const char *broken;         /* NULL while in step; else the rule the daemon broke */
};
/* Empties the assembler for a new connection (also clears `broken`). */
void xs_assembler_reset(struct xs_assembler *a);
/* Takes bytes from data[len] (never more than the current message needs). Returns bytes
 * consumed; sets *complete when a whole message is in a->buf (header in a->header, payload at
 * a->buf + XS_HEADER_SIZE); -EBADMSG if the header is malformed or the assembler was already
 * broken (nothing consumed, nothing delivered, then or ever after). */
long xs_assembler_feed(struct xs_assembler *a, const void *data, size_t len, bool *complete);
/* Marks the stream broken for a rule found above the framing (xs_route_reply). */
void xs_assembler_break(struct xs_assembler *a, const char *rule);

/* Request ids: handed out from 1 upwards (0 is never used), so a reply can be told to be for
 * a request we sent (maybe one that timed out: a late reply) or for none at all. */
struct xs_req_ids {
    uint32_t next;              /* the next id to hand out; 0 before the first */
    uint32_t issued;            /* ids handed out, saturating at 2^31 */
};
uint32_t xs_req_id_issue(struct xs_req_ids *ids);
bool xs_req_id_was_issued(const struct xs_req_ids *ids, uint32_t req_id);

/* Where a complete message goes. `waiting` says whether a request with h->req_id is in
 * flight and `request_type` is its type. A watch event goes to its watch; a reply to a
 * request in flight must carry that request's type or XS_ERROR; a reply to an id we sent but
 * no longer wait for is late (dropped); anything else breaks the connection (*rule names it). */
enum xs_route {
    XS_ROUTE_REPLY,
    XS_ROUTE_WATCH_EVENT,
    XS_ROUTE_LATE,
    XS_ROUTE_BROKEN,
};
enum xs_route xs_route_reply(const struct xs_header *h, bool waiting, uint32_t request_type,
                             const struct xs_req_ids *ids, const char **rule);

#endif
