/*
 * net/udp/udp_socket: UDP sockets: binding (with RFC 6056 random ephemeral ports), bounded receive
 * queues, fiber-blocking receive with deadlines, receive handlers, close and stack shutdown.
 *
 * Lifetime: a socket is freed by udp_close, or, if fibers are still blocked in udp_recvfrom, by
 * the last of them to wake. udp_fini (the stack going away) only closes sockets: their owners
 * still call udp_close.
 */
#include "net/udp/udp.h"

#include "lib/errno.h"
#include "lib/random.h"
#include "lib/string.h"
#include "mm/mm.h"
#include "mm/pbuf.h"
#include "net/udp/udp_internal.h"
#include "platform/platform.h"

struct udp_socket *udp_find_socket(struct udp_layer *udp, uint16_t port)
{
    list_for_each(node, &udp->sockets) {
        struct udp_socket *sock = list_entry(node, struct udp_socket, link);
        if (sock->port == port)
            return sock;
    }
    return NULL;
}

/* RFC 6056 3.3.1 (Algorithm 1): start at a random port of the range and walk up from there, so
 * every free port can be found and the first choice is unpredictable. */
static int pick_ephemeral(struct udp_layer *udp, uint16_t *port)
{
    uint32_t range = UDP_EPHEMERAL_LAST - UDP_EPHEMERAL_FIRST + 1;
    uint32_t offset = random_below(range);
    for (uint32_t i = 0; i < range; i++) {
        uint16_t candidate = (uint16_t)(UDP_EPHEMERAL_FIRST + (offset + i) % range);
        if (!udp_find_socket(udp, candidate)) {
            *port = candidate;
            return 0;
        }
    }
    udp->stats.bind_no_ephemeral++;
    return -EAGAIN;
}

int udp_layer_bind(struct udp_layer *udp, uint16_t port, struct udp_socket **out)
{
    *out = NULL;
    if (udp->socket_count >= UDP_MAX_SOCKETS)
        return -ENOSPC;
    if (port == 0) {
        int err = pick_ephemeral(udp, &port);
        if (err)
            return err;
    } else if (udp_find_socket(udp, port)) {
        udp->stats.bind_in_use++;
        return -EADDRINUSE;
    }
    struct udp_socket *sock = kcalloc(1, sizeof(*sock));
    if (!sock)
        return -ENOMEM;
    sock->udp = udp;
    sock->port = port;
    waitq_init(&sock->readers);
    list_init(&sock->queue);
    sock->max_datagrams = UDP_DEFAULT_RX_DATAGRAMS;
    sock->max_bytes = UDP_DEFAULT_RX_BYTES;
    list_add_tail(&udp->sockets, &sock->link);
    udp->socket_count++;
    *out = sock;
    return 0;
}

uint16_t udp_local_port(const struct udp_socket *sock)
{
    return sock->port;
}

unsigned udp_pending(const struct udp_socket *sock)
{
    return sock->queued;
}

void udp_set_rx_limits(struct udp_socket *sock, unsigned max_datagrams, size_t max_bytes)
{
    if (max_datagrams)
        sock->max_datagrams = max_datagrams;
    if (max_bytes)
        sock->max_bytes = max_bytes;
}

static struct udp_queued *dequeue(struct udp_socket *sock)
{
    struct list_node *node = list_pop_head(&sock->queue);
    if (!node)
        return NULL;
    struct udp_queued *q = list_entry(node, struct udp_queued, link);
    sock->queued--;
    sock->queued_bytes -= q->p->tot_len;
    return q;
}

static void drop_queue(struct udp_socket *sock)
{
    struct udp_queued *q;
    while ((q = dequeue(sock))) {
        pbuf_free(q->p);
        kfree(q);
    }
}

void udp_socket_deliver(struct udp_socket *sock, struct pbuf *p, const struct udp_datagram_info *info)
{
    struct udp_layer *udp = sock->udp;
    if (sock->handler) {
        udp->stats.rx_datagrams++;
        sock->handler(sock, p, info, sock->handler_arg);
        return;
    }
    if (sock->queued >= sock->max_datagrams || sock->queued_bytes + p->tot_len > sock->max_bytes) {
        udp->stats.rx_queue_full++;
        pbuf_free(p);
        return;
    }
    struct udp_queued *q = kmalloc(sizeof(*q));
    if (!q) {
        udp->stats.rx_queue_full++;
        pbuf_free(p);
        return;
    }
    q->p = p;
    q->info = *info;
    list_add_tail(&sock->queue, &q->link);
    sock->queued++;
    sock->queued_bytes += p->tot_len;
    udp->stats.rx_datagrams++;
    waitq_wake_one(&sock->readers);
}

void udp_set_receive_handler(struct udp_socket *sock, udp_receive_fn fn, void *arg)
{
    sock->handler = fn;
    sock->handler_arg = arg;
    if (!fn)
        return;
    struct udp_queued *q;
    while (sock->handler == fn && (q = dequeue(sock))) {
        struct pbuf *p = q->p;
        struct udp_datagram_info info = q->info;
        kfree(q);
        fn(sock, p, &info, arg);
    }
}

/* Closes without freeing: unlinks from the stack, drops the queue, wakes every waiter. */
static void close_socket(struct udp_socket *sock)
{
    if (sock->closed)
        return;
    sock->closed = true;
    if (sock->udp) {
        list_remove(&sock->link);
        sock->udp->socket_count--;
    }
    drop_queue(sock);
    waitq_wake_all(&sock->readers);
}

void udp_close(struct udp_socket *sock)
{
    if (!sock)
        return;
    close_socket(sock);
    sock->released = true;
    if (sock->waiters == 0)
        kfree(sock);
}

void udp_fini(struct udp_layer *udp)
{
    list_for_each_safe(node, &udp->sockets) {
        struct udp_socket *sock = list_entry(node, struct udp_socket, link);
        close_socket(sock);
        sock->udp = NULL;
    }
}

int udp_sendto(struct udp_socket *sock, uint32_t dst, uint16_t port, const void *buf, size_t len)
{
    if (sock->closed || !sock->udp)
        return -EBADF;
    return udp_send_from(sock->udp, sock->port, dst, port, buf, len);
}

int udp_recvfrom_info(struct udp_socket *sock, void *buf, size_t len,
                      struct udp_datagram_info *info, uint64_t deadline_ns)
{
    if (sock->closed)
        return -EBADF;
    if (sock->handler)
        return -EINVAL;
    while (sock->queued == 0) {
        if (deadline_ns != DEADLINE_NONE && platform_monotonic_ns() >= deadline_ns)
            return -ETIMEDOUT;
        sock->waiters++;
        int rc = waitq_wait(&sock->readers, deadline_ns);
        sock->waiters--;
        if (sock->closed) {
            if (sock->released && sock->waiters == 0)
                kfree(sock);
            return -EBADF;
        }
        if (rc == -ETIMEDOUT && sock->queued == 0)
            return -ETIMEDOUT;
    }
    struct udp_queued *q = dequeue(sock);
    size_t n = q->p->tot_len;
    if (n > len) {
        if (sock->udp)
            sock->udp->stats.rx_user_truncated++;
        n = len;
    }
    if (n)
        pbuf_copy_out(q->p, 0, buf, n);
    if (info)
        *info = q->info;
    pbuf_free(q->p);
    kfree(q);
    return (int)n;
}

int udp_recvfrom(struct udp_socket *sock, void *buf, size_t len, uint32_t *src, uint16_t *port,
                 uint64_t deadline_ns)
{
    struct udp_datagram_info info;
    int n = udp_recvfrom_info(sock, buf, len, &info, deadline_ns);
    if (n >= 0) {
        if (src)
            *src = info.src_addr;
        if (port)
            *port = info.src_port;
    }
    return n;
}
