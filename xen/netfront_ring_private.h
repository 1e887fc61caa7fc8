/*
 * xen/netfront_ring_private: what the two halves of a netfront queue's ring rules share
 * (netfront_ring.c: set-up, bad responses, receive; netfront_ring_tx.c: transmit). Not an
 * interface for anything else: xen/netfront_ring.h is.
 */
#ifndef XENOLITH_XEN_NETFRONT_RING_PRIVATE_H
#define XENOLITH_XEN_NETFRONT_RING_PRIVATE_H

#include <stdbool.h>

#include "lib/printf.h"
#include "xen/netfront_ring.h"
#include "xen/optional.h"

/* Marks the queue broken by the first bad response: the rule's counter, its name and why.
 * Returns -EPROTO. */
int netfront_refuse(struct netfront_queue *q, enum netfront_break reason, const char *fmt, ...)
    PRINTF_LIKE(3, 4);

/* Reads a ring's response producer once into *out and checks it lies between our consumer
 * `cons` and our requests `req_prod`; else refuses (rx: broken_rx_producer, else tx). */
int netfront_response_window(struct netfront_queue *q, bool rx, RING_IDX cons,
                             RING_IDX req_prod, volatile RING_IDX *rsp_prod, RING_IDX *out);

/* Scatter-gather and GSO, each way (xen/optional.h): a constant in an image that leaves
 * netfront_offload out, so the code behind it is dropped there. */
static inline bool netfront_offload(void)
{
    return xen_has(xen_optionals, XEN_OPTIONAL_NETFRONT_OFFLOAD);
}

#endif
