/*
 * net/udp/udp_internal: what udp.c (the protocol) and udp_socket.c (the sockets) share.
 */
#ifndef XENOLITH_NET_UDP_INTERNAL_H
#define XENOLITH_NET_UDP_INTERNAL_H

#include "lib/list.h"
#include "net/udp/udp.h"
#include "sched/sched.h"

struct udp_queued {
    struct list_node link;
    struct pbuf *p;                     /* data at the UDP payload */
    struct udp_datagram_info info;
};

struct udp_socket {
    struct list_node link;              /* in udp_layer.sockets while open */
    struct udp_layer *udp;              /* NULL once the layer shut down */
    uint16_t port;
    bool closed;                        /* no longer receives; waiters return -EBADF */
    bool released;                      /* the owner called udp_close: free when unwaited */
    unsigned waiters;                   /* fibers inside udp_recvfrom */
    struct waitq readers;
    struct list_node queue;             /* struct udp_queued, oldest first */
    unsigned queued;
    size_t queued_bytes;
    unsigned max_datagrams;
    size_t max_bytes;
    udp_receive_fn handler;
    void *handler_arg;
};

/* Builds and sends one datagram (checksum always computed). Returns len or a negative errno. */
int udp_send_from(struct udp_layer *udp, uint16_t src_port, uint32_t dst, uint16_t dst_port,
                  const void *buf, size_t len);
struct udp_socket *udp_find_socket(struct udp_layer *udp, uint16_t port);
/* Queues p (data at the payload) or hands it to the handler; owns p. */
void udp_socket_deliver(struct udp_socket *sock, struct pbuf *p, const struct udp_datagram_info *info);

#endif
