/*
 * net/ip_frag: fragmentation on send (see ip_frag.h).
 */
#include "net/ip/ip_frag.h"

#include "lib/errno.h"
#include "net/wire/ipv4_header.h"
#include "mm/pbuf.h"

int ip_frag_plan(uint32_t first_header_len, uint32_t later_header_len, uint32_t payload_len,
                 uint32_t mtu, struct ip_frag_plan *plan)
{
    plan->first_header_len = first_header_len;
    plan->later_header_len = later_header_len;
    plan->payload_len = payload_len;
    if (first_header_len + payload_len <= mtu) {
        plan->count = 1;
        plan->first_payload = payload_len;
        plan->later_payload = 0;
        return 0;
    }
    if (mtu < IPV4_MIN_MTU || mtu < first_header_len + 8 || mtu < later_header_len + 8)
        return -EMSGSIZE;
    plan->first_payload = (mtu - first_header_len) & ~7u;
    plan->later_payload = (mtu - later_header_len) & ~7u;
    uint32_t rest = payload_len - plan->first_payload;
    plan->count = 1 + (rest + plan->later_payload - 1) / plan->later_payload;
    return 0;
}

void ip_frag_piece(const struct ip_frag_plan *plan, uint32_t index, uint32_t *offset,
                   uint32_t *len, bool *more)
{
    if (index == 0) {
        *offset = 0;
        *len = plan->first_payload;
    } else {
        *offset = plan->first_payload + (index - 1) * plan->later_payload;
        uint32_t left = plan->payload_len - *offset;
        *len = left < plan->later_payload ? left : plan->later_payload;
    }
    *more = index + 1 < plan->count;
}

static int emit_piece(struct pbuf *p, const struct ipv4_header *h, const uint8_t *options,
                      size_t options_len, uint32_t offset, uint32_t len, bool more,
                      struct pbuf_pool *pool, int (*emit)(void *ctx, struct pbuf *fragment),
                      void *ctx)
{
    struct ipv4_header fh = *h;
    fh.options = options;
    fh.options_len = (uint8_t)options_len;
    size_t header_len = IPV4_HEADER_MIN + options_len;
    uint32_t base = ipv4_frag_offset_bytes(h);
    bool original_more = ipv4_more_fragments(h);
    fh.total_len = (uint16_t)(header_len + len);
    fh.frag_field = (uint16_t)(((base + offset) / 8) | ((more || original_more) ? IPV4_FLAG_MF : 0));

    struct pbuf *frag = pbuf_alloc(pool, header_len);
    if (!frag)
        return -ENOBUFS;
    ipv4_header_build(frag->data, &fh);
    struct pbuf *payload = pbuf_ref_range(p, h->header_len + (size_t)offset, len);
    if (!payload) {
        pbuf_free(frag);
        return -ENOBUFS;
    }
    pbuf_cat(frag, payload);
    return emit(ctx, frag);
}

int ip_frag_output(struct pbuf *p, uint32_t mtu, struct pbuf_pool *pool,
                   int (*emit)(void *ctx, struct pbuf *fragment), void *ctx)
{
    int err = -EINVAL;
    const uint8_t *raw = pbuf_linearize(p, p->tot_len < IPV4_HEADER_MIN ? p->tot_len : IPV4_HEADER_MIN);
    if (!raw || p->tot_len < IPV4_HEADER_MIN)
        goto out;
    size_t header_len = (size_t)(raw[0] & 0x0f) * 4;
    if (header_len < IPV4_HEADER_MIN || header_len > p->tot_len)
        goto out;
    raw = pbuf_linearize(p, header_len);
    if (!raw)
        goto out;
    struct ipv4_header h;
    if (ipv4_header_parse(raw, p->tot_len, false, &h) != IPV4_HEADER_OK || h.total_len != p->tot_len)
        goto out;
    if (h.total_len <= mtu) {
        return emit(ctx, p);
    }
    err = -EMSGSIZE;
    if (h.frag_field & IPV4_FLAG_DF)
        goto out;

    /* The header is copied before the options are re-read: p->data stays valid, but the parsed
     * options point into it and the later fragments need their own filtered copy. */
    uint8_t first_options[IPV4_HEADER_MAX - IPV4_HEADER_MIN];
    uint8_t later_options[IPV4_HEADER_MAX - IPV4_HEADER_MIN];
    size_t first_len = h.options_len;
    for (size_t i = 0; i < first_len; i++)
        first_options[i] = h.options[i];
    size_t later_len = ipv4_options_for_later_fragments(first_options, first_len, later_options);

    struct ip_frag_plan plan;
    err = ip_frag_plan(h.header_len, (uint32_t)(IPV4_HEADER_MIN + later_len),
                       h.total_len - h.header_len, mtu, &plan);
    if (err)
        goto out;
    for (uint32_t i = 0; i < plan.count; i++) {
        uint32_t offset, len;
        bool more;
        ip_frag_piece(&plan, i, &offset, &len, &more);
        err = emit_piece(p, &h, i == 0 ? first_options : later_options, i == 0 ? first_len : later_len,
                         offset, len, more, pool, emit, ctx);
        if (err)
            goto out;
    }
    err = 0;
out:
    pbuf_free(p);
    return err;
}
