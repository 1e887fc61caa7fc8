/*
 * test/unit/netfront_ring_pages.h: the shared rings and pages a netfront ring test gives
 * netfront_queue_init (header-only; each test_netfront_*.c is its own program): both shared
 * rings and one page per slot, tx grants from NF_GREF_TX0 and rx grants from NF_GREF_RX0, made and
 * freed around each test, and a queue started on them.
 */
#ifndef XENOLITH_TEST_UNIT_NETFRONT_RING_PAGES_H
#define XENOLITH_TEST_UNIT_NETFRONT_RING_PAGES_H

#include <stdlib.h>

#include "xen/netfront_ring.h"

#define NF_GREF_TX0 1000u
#define NF_GREF_RX0 5000u

static netif_tx_sring_t *txs;
static netif_rx_sring_t *rxs;
static uint8_t *tx_pages[NETFRONT_TX_SLOTS], *rx_pages[NETFRONT_RX_SLOTS];
static uint32_t tx_grefs[NETFRONT_TX_SLOTS], rx_grefs[NETFRONT_RX_SLOTS];

static inline void nf_ring_pages_alloc(void)
{
    txs = aligned_alloc(4096, 4096);
    rxs = aligned_alloc(4096, 4096);
    for (unsigned i = 0; i < NETFRONT_TX_SLOTS; i++) {
        tx_pages[i] = aligned_alloc(4096, 4096);
        tx_grefs[i] = NF_GREF_TX0 + i;
    }
    for (unsigned i = 0; i < NETFRONT_RX_SLOTS; i++) {
        rx_pages[i] = aligned_alloc(4096, 4096);
        rx_grefs[i] = NF_GREF_RX0 + i;
    }
}

static inline void nf_ring_pages_free(void)
{
    for (unsigned i = 0; i < NETFRONT_TX_SLOTS; i++)
        free(tx_pages[i]);
    for (unsigned i = 0; i < NETFRONT_RX_SLOTS; i++)
        free(rx_pages[i]);
    free(txs);
    free(rxs);
}

/* q initialised on the pages with features f and handoff h (NULL: copies), rx requests posted. */
static inline void nf_queue_start(struct netfront_queue *q, const struct netfront_queue_features *f,
                                  const struct netfront_rx_handoff *h)
{
    netfront_queue_init(q, 0, txs, rxs, tx_pages, tx_grefs, rx_pages, rx_grefs, f);
    q->rx_handoff = h;
    txs->req_event = 1;
    rxs->req_event = 1;
    netfront_rx_refill(q);
}

#endif
