/*
 * xen/xenstore_codec: xenstore messages, replies and rings as pure functions (see the header).
 */
#include "xen/xenstore_codec.h"
#include "lib/errno.h"
#include "lib/string.h"

long xs_encode(void *buf, size_t cap, uint32_t type, uint32_t req_id, uint32_t tx_id,
               const struct xs_piece *pieces, size_t count)
{
    size_t payload = 0;
    for (size_t i = 0; i < count; i++) {
        if (pieces[i].len > XENSTORE_PAYLOAD_MAX)
            return -EMSGSIZE;
        payload += pieces[i].len;
    }
    if (payload > XENSTORE_PAYLOAD_MAX || XS_HEADER_SIZE + payload > cap)
        return -EMSGSIZE;
    struct xsd_sockmsg h = { .type = type, .req_id = req_id, .tx_id = tx_id,
                             .len = (uint32_t)payload };
    uint8_t *out = buf;
    memcpy(out, &h, XS_HEADER_SIZE);
    size_t at = XS_HEADER_SIZE;
    for (size_t i = 0; i < count; i++) {
        if (pieces[i].len)
            memcpy(out + at, pieces[i].data, pieces[i].len);
        at += pieces[i].len;
    }
    return (long)at;
}

static bool reply_type_known(uint32_t type)
{
    switch (type) {
    case XS_DIRECTORY: case XS_READ: case XS_GET_PERMS: case XS_WATCH: case XS_UNWATCH:
    case XS_TRANSACTION_START: case XS_TRANSACTION_END: case XS_GET_DOMAIN_PATH:
    case XS_WRITE: case XS_MKDIR: case XS_RM: case XS_SET_PERMS: case XS_WATCH_EVENT:
    case XS_ERROR: case XS_RESET_WATCHES: case XS_CONTROL:
        return true;
    default:
        return false;
    }
}

const char *xs_header_problem(const void *buf, size_t len)
{
    if (len < XS_HEADER_SIZE)
        return "header shorter than 16 bytes";
    struct xsd_sockmsg h;
    memcpy(&h, buf, XS_HEADER_SIZE);
    if (h.len > XENSTORE_PAYLOAD_MAX)
        return "reply length above XENSTORE_PAYLOAD_MAX";
    if (!reply_type_known(h.type))
        return "reply type no request has";
    return NULL;
}

int xs_decode_header(const void *buf, size_t len, struct xs_header *out)
{
    if (xs_header_problem(buf, len))
        return -EBADMSG;
    struct xsd_sockmsg h;
    memcpy(&h, buf, XS_HEADER_SIZE);
    *out = (struct xs_header){ h.type, h.req_id, h.tx_id, h.len };
    return 0;
}

/* The error names an XS_ERROR reply carries (io/xs_wire.h) and our errno for each, by index: the
 * names packed ("EINVAL\0EACCES\0"), where a pointer and an int per name cost twice the bytes. */
static const char error_names[] =
    "EINVAL\0EACCES\0EEXIST\0EISDIR\0ENOENT\0ENOMEM\0ENOSPC\0EIO\0ENOTEMPTY\0ENOSYS\0EROFS\0"
    "EBUSY\0EAGAIN\0EISCONN\0E2BIG\0EPERM\0";
static const unsigned char error_numbers[] = {
    EINVAL, EACCES, EEXIST, EINVAL, ENOENT, ENOMEM, ENOSPC, EIO,
    ENOTEMPTY, ENOSYS, EROFS, EBUSY, EAGAIN, EISCONN, E2BIG, EPERM,
};

int xs_decode_error(const char *payload, size_t len)
{
    if (len == 0 || payload[len - 1] != '\0')
        return -EBADMSG;
    const char *name = error_names;
    for (size_t i = 0; i < sizeof(error_numbers); i++, name += strlen(name) + 1)
        if (strcmp(payload, name) == 0)
            return -(int)error_numbers[i];
    return -EIO;
}

int xs_split_strings(const char *payload, size_t len, const char **items, size_t max)
{
    if (len == 0)
        return 0;
    if (payload[len - 1] != '\0')
        return -EBADMSG;
    size_t count = 0;
    for (size_t at = 0; at < len;) {
        if (count == max)
            return -E2BIG;
        items[count++] = payload + at;
        at += strlen(payload + at) + 1;   /* terminated: the last byte is NUL */
    }
    return (int)count;
}

int xs_decode_watch_event(const char *payload, size_t len, const char **path,
                          const char **token)
{
    const char *items[2];
    if (len == 0 || payload[len - 1] != '\0')
        return -EBADMSG;
    /* Only the first two strings matter; count them without a limit error. */
    size_t first = strlen(payload) + 1;
    if (first >= len)
        return -EBADMSG;
    items[0] = payload;
    items[1] = payload + first;
    *path = items[0];
    *token = items[1];
    return 0;
}

static bool valid_access(char c)
{
    return c == 'n' || c == 'r' || c == 'w' || c == 'b';
}

int xs_decode_perms(const char *payload, size_t len, struct xs_perm *out, size_t max)
{
    const char *items[64];
    int n = xs_split_strings(payload, len, items, sizeof(items) / sizeof(items[0]));
    if (n < 0)
        return n;
    if (n == 0 || (size_t)n > max)
        return n == 0 ? -EBADMSG : -E2BIG;
    for (int i = 0; i < n; i++) {
        const char *s = items[i];
        if (!valid_access(s[0]) || s[1] < '0' || s[1] > '9')
            return -EBADMSG;
        uint32_t domid = 0;
        for (const char *d = s + 1; *d; d++) {
            if (*d < '0' || *d > '9')
                return -EBADMSG;
            domid = domid * 10 + (uint32_t)(*d - '0');
            if (domid > 0xffff)
                return -EBADMSG;
        }
        out[i] = (struct xs_perm){ s[0], (uint16_t)domid };
    }
    return n;
}

long xs_encode_perms(char *buf, size_t cap, const struct xs_perm *perms, size_t count)
{
    size_t at = 0;
    if (count == 0)
        return -EINVAL;
    for (size_t i = 0; i < count; i++) {
        if (!valid_access(perms[i].access))
            return -EINVAL;
        char digits[6];
        size_t nd = 0;
        unsigned v = perms[i].domid;
        do {
            digits[nd++] = (char)('0' + v % 10);
            v /= 10;
        } while (v);
        if (at + 1 + nd + 1 > cap)
            return -EMSGSIZE;
        buf[at++] = perms[i].access;
        while (nd)
            buf[at++] = digits[--nd];
        buf[at++] = '\0';
    }
    return (long)at;
}

long xs_ring_write(volatile struct xenstore_domain_interface *intf, const void *msg, size_t len,
                   size_t sent)
{
    if (len == 0 || len > XS_MSG_MAX || sent >= len)
        return -EMSGSIZE;
    XENSTORE_RING_IDX cons = __atomic_load_n(&intf->req_cons, __ATOMIC_ACQUIRE);
    XENSTORE_RING_IDX prod = intf->req_prod;
    XENSTORE_RING_IDX used = prod - cons;
    if (used > XENSTORE_RING_SIZE)
        return -EPROTO;
    size_t room = XENSTORE_RING_SIZE - used;
    size_t left = len - sent;
    if (sent == 0 && room < (len < XENSTORE_RING_SIZE ? len : XENSTORE_RING_SIZE))
        return 0;   /* not the room to start: nothing goes */
    size_t n = left < room ? left : room;
    const uint8_t *src = (const uint8_t *)msg + sent;
    for (size_t i = 0; i < n; i++)
        intf->req[MASK_XENSTORE_IDX(prod + (XENSTORE_RING_IDX)i)] = (char)src[i];
    __atomic_store_n(&intf->req_prod, prod + (XENSTORE_RING_IDX)n, __ATOMIC_RELEASE);
    return (long)n;
}

long xs_ring_read(volatile struct xenstore_domain_interface *intf, void *buf, size_t len)
{
    XENSTORE_RING_IDX prod = __atomic_load_n(&intf->rsp_prod, __ATOMIC_ACQUIRE);
    XENSTORE_RING_IDX cons = intf->rsp_cons;
    XENSTORE_RING_IDX avail = prod - cons;
    if (avail > XENSTORE_RING_SIZE)
        return -EPROTO;
    size_t n = len < avail ? len : avail;
    uint8_t *dst = buf;
    for (size_t i = 0; i < n; i++)
        dst[i] = (uint8_t)intf->rsp[MASK_XENSTORE_IDX(cons + (XENSTORE_RING_IDX)i)];
    /* The copies complete before the slots are handed back. */
    __atomic_store_n(&intf->rsp_cons, cons + (XENSTORE_RING_IDX)n, __ATOMIC_RELEASE);
    return (long)n;
}

void xs_assembler_reset(struct xs_assembler *a)
{
    a->have = 0;
    a->header_ok = false;
    a->broken = NULL;
}

void xs_assembler_break(struct xs_assembler *a, const char *rule)
{
    if (!a->broken)
        a->broken = rule;
}

long xs_assembler_feed(struct xs_assembler *a, const void *data, size_t len, bool *complete)
{
    const uint8_t *src = data;
    size_t used = 0;
    *complete = false;
    if (a->broken)
        return -EBADMSG;   /* out of step for good: nothing after the bad header is framed */
    if (a->header_ok && a->have == XS_HEADER_SIZE + a->header.len) {
        a->have = 0;   /* the previous message was taken */
        a->header_ok = false;
    }
    while (used < len && !*complete) {
        size_t want = a->header_ok ? XS_HEADER_SIZE + a->header.len - a->have
                                   : XS_HEADER_SIZE - a->have;
        size_t n = len - used < want ? len - used : want;
        memcpy(a->buf + a->have, src + used, n);
        a->have += n;
        used += n;
        if (!a->header_ok && a->have == XS_HEADER_SIZE) {
            const char *problem = xs_header_problem(a->buf, XS_HEADER_SIZE);
            if (problem) {
                a->broken = problem;
                return -EBADMSG;
            }
            xs_decode_header(a->buf, XS_HEADER_SIZE, &a->header);
            a->header_ok = true;
        }
        if (a->header_ok && a->have == XS_HEADER_SIZE + a->header.len)
            *complete = true;
    }
    return (long)used;
}

#define REQ_IDS_ISSUED_MAX 0x80000000u

uint32_t xs_req_id_issue(struct xs_req_ids *ids)
{
    if (ids->next == 0)
        ids->next = 1;   /* 0 is never an id (first use, or after a wrap) */
    uint32_t id = ids->next++;
    if (ids->issued < REQ_IDS_ISSUED_MAX)
        ids->issued++;
    return id;
}

bool xs_req_id_was_issued(const struct xs_req_ids *ids, uint32_t req_id)
{
    if (req_id == 0 || ids->issued == 0)
        return false;
    /* How far back from the last id handed out; a wrap past 0 skips one value. */
    uint32_t last = ids->next - 1;   /* next is never 1 once an id was issued */
    uint32_t back = last - req_id;
    if (req_id > last)
        back--;   /* behind the wrap: 0 was skipped */
    return back < ids->issued;
}

enum xs_route xs_route_reply(const struct xs_header *h, bool waiting, uint32_t request_type,
                             const struct xs_req_ids *ids, const char **rule)
{
    *rule = NULL;
    if (h->type == XS_WATCH_EVENT)
        return XS_ROUTE_WATCH_EVENT;
    if (waiting) {
        if (h->type == request_type || h->type == XS_ERROR)
            return XS_ROUTE_REPLY;
        *rule = "reply type differs from its request's";
        return XS_ROUTE_BROKEN;
    }
    if (xs_req_id_was_issued(ids, h->req_id))
        return XS_ROUTE_LATE;
    *rule = "reply to a request id never sent";
    return XS_ROUTE_BROKEN;
}
