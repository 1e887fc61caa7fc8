/*
 * net/sockets: the application calls that take the stack handle (struct netstack), declared in
 * net/tcp/tcp.h and net/udp/udp.h. The handle is net/'s, so these live here: each finds its layer
 * in the stack and calls the layer's own entry point. Calls on a socket, listener or connection
 * handle go straight to the layer.
 */
#include "net/stack.h"

int udp_bind(struct netstack *s, uint16_t port, struct udp_socket **out)
{
    return udp_layer_bind(&s->udp, port, out);
}

int tcp_listen(struct netstack *s, uint16_t port, unsigned backlog, struct tcp_listener **out)
{
    return tcp_layer_listen(&s->tcp, port, backlog, out);
}

int tcp_connect_sized(struct netstack *s, uint16_t local_port, uint32_t dst, uint16_t port,
                      const struct tcp_buffer_sizes *sizes, uint64_t deadline_ns,
                      struct tcp_conn **out)
{
    return tcp_layer_connect(&s->tcp, local_port, dst, port, sizes, deadline_ns, out);
}

int tcp_connect_from(struct netstack *s, uint16_t local_port, uint32_t dst, uint16_t port,
                     uint64_t deadline_ns, struct tcp_conn **out)
{
    return tcp_layer_connect(&s->tcp, local_port, dst, port, NULL, deadline_ns, out);
}

int tcp_connect(struct netstack *s, uint32_t dst, uint16_t port, uint64_t deadline_ns,
                struct tcp_conn **out)
{
    return tcp_layer_connect(&s->tcp, 0, dst, port, NULL, deadline_ns, out);
}

void tcp_get_config(struct netstack *s, struct tcp_config *out)
{
    tcp_layer_get_config(&s->tcp, out);
}

int tcp_set_config(struct netstack *s, const struct tcp_config *cfg)
{
    return tcp_layer_set_config(&s->tcp, cfg);
}

void tcp_get_census(struct netstack *s, struct tcp_census *out)
{
    tcp_layer_census(&s->tcp, out);
}

void tcp_stack_shutdown(struct netstack *s)
{
    tcp_fini(&s->tcp);
}
