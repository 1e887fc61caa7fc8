/*
 * bench/lwip/httpd_lwip.c: the lwIP reference for the hosted throughput runs: lwIP 2.1.3
 * (Debian's liblwip) on a TAP device through its unix port's tapif (PRECONFIGURED_TAPIF names
 * an existing TAP), with the tcpip thread, serving files it loads into memory at start over the
 * raw API: keep-alive, the same trivial request handling as bench/linux/static_server.c, bodies
 * sent from memory without copying (as lwIP's own httpd does), more as tcp_sent frees room.
 * Usage: PRECONFIGURED_TAPIF=TAP httpd_lwip ADDR/PREFIX PORT FILE...
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lwip/init.h"
#include "lwip/ip4_addr.h"
#include "lwip/netif.h"
#include "lwip/tcp.h"
#include "lwip/tcpip.h"
#include "netif/tapif.h"

#define MAX_FILES 16

struct file {
    char name[256];
    char *data;
    size_t len;
};
static struct file files[MAX_FILES];
static int nfiles;

struct conn {
    char in[8192];
    size_t have;
    const struct file *body;
    size_t body_off;
};

static void load(const char *path)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    if (!f || fstat(fileno(f), &st) != 0 || nfiles == MAX_FILES) {
        fprintf(stderr, "httpd_lwip: cannot load %s\n", path);
        exit(1);
    }
    struct file *fl = &files[nfiles++];
    const char *base = strrchr(path, '/');
    snprintf(fl->name, sizeof(fl->name), "/%s", base ? base + 1 : path);
    fl->len = (size_t)st.st_size;
    fl->data = malloc(fl->len ? fl->len : 1);
    if (!fl->data || fread(fl->data, 1, fl->len, f) != fl->len) {
        fprintf(stderr, "httpd_lwip: cannot read %s\n", path);
        exit(1);
    }
    fclose(f);
}

static void conn_free(struct tcp_pcb *pcb, struct conn *c)
{
    tcp_arg(pcb, NULL);
    tcp_recv(pcb, NULL);
    tcp_sent(pcb, NULL);
    tcp_err(pcb, NULL);
    free(c);
}

/* Queues as much of the body as the send buffer takes. */
static void push_body(struct tcp_pcb *pcb, struct conn *c)
{
    while (c->body && c->body_off < c->body->len) {
        size_t room = tcp_sndbuf(pcb);
        size_t left = c->body->len - c->body_off;
        size_t n = left < room ? left : room;
        if (n > 0xffff)
            n = 0xffff;
        if (n == 0 || tcp_sndqueuelen(pcb) >= TCP_SND_QUEUELEN - 4)
            break;
        if (tcp_write(pcb, c->body->data + c->body_off, (u16_t)n, 0) != ERR_OK)
            break;
        c->body_off += n;
    }
    if (c->body && c->body_off == c->body->len)
        c->body = NULL;
    tcp_output(pcb);
}

/* Answers every complete request while no body is still being sent. */
static void serve(struct tcp_pcb *pcb, struct conn *c)
{
    while (!c->body) {
        c->in[c->have] = 0;
        char *end = strstr(c->in, "\r\n\r\n");
        if (!end)
            return;
        char path[256] = "";
        sscanf(c->in, "GET %255s", path);
        const struct file *f = NULL;
        for (int i = 0; i < nfiles; i++)
            if (!strcmp(files[i].name, path))
                f = &files[i];
        char head[256];
        int hl = f ? snprintf(head, sizeof(head),
                              "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %zu\r\n\r\n",
                              f->len)
                   : snprintf(head, sizeof(head), "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
        if (tcp_write(pcb, head, (u16_t)hl, TCP_WRITE_FLAG_COPY | (f ? TCP_WRITE_FLAG_MORE : 0)) != ERR_OK)
            return;                          /* no room: tcp_sent retries */
        size_t used = (size_t)(end + 4 - c->in);
        memmove(c->in, c->in + used, c->have - used);
        c->have -= used;
        c->body = f;
        c->body_off = 0;
        push_body(pcb, c);
    }
}

static err_t on_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
    struct conn *c = arg;
    if (c) {
        push_body(pcb, c);
        serve(pcb, c);
    }
    return ERR_OK;
}

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
    struct conn *c = arg;
    if (!p) {
        if (c)
            conn_free(pcb, c);
        tcp_close(pcb);
        return ERR_OK;
    }
    size_t room = sizeof(c->in) - 1 - c->have;
    if (p->tot_len > room) {                 /* a head larger than the buffer: give up on it */
        pbuf_free(p);
        conn_free(pcb, c);
        tcp_abort(pcb);
        return ERR_ABRT;
    }
    c->have += pbuf_copy_partial(p, c->in + c->have, p->tot_len, 0);
    tcp_recved(pcb, p->tot_len);
    pbuf_free(p);
    serve(pcb, c);
    return ERR_OK;
}

static void on_err(void *arg, err_t err)
{
    free(arg);                               /* the pcb is already gone */
}

static err_t on_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
    if (err != ERR_OK || !pcb)
        return ERR_VAL;
    struct conn *c = calloc(1, sizeof(*c));
    if (!c)
        return ERR_MEM;
    tcp_arg(pcb, c);
    tcp_recv(pcb, on_recv);
    tcp_sent(pcb, on_sent);
    tcp_err(pcb, on_err);
    tcp_nagle_disable(pcb);
    return ERR_OK;
}

static struct netif tap_netif;

static void start(void *arg)
{
    char **argv = arg;
    unsigned a, b, c, d, prefix;
    if (sscanf(argv[1], "%u.%u.%u.%u/%u", &a, &b, &c, &d, &prefix) != 5 || prefix > 32) {
        fprintf(stderr, "httpd_lwip: bad address %s\n", argv[1]);
        exit(2);
    }
    ip4_addr_t addr, mask, gw;
    IP4_ADDR(&addr, a, b, c, d);
    mask.addr = prefix ? lwip_htonl(0xffffffffu << (32 - prefix)) : 0;
    IP4_ADDR(&gw, 0, 0, 0, 0);
    if (!netif_add(&tap_netif, &addr, &mask, &gw, NULL, tapif_init, tcpip_input)) {
        fprintf(stderr, "httpd_lwip: cannot open the TAP device\n");
        exit(1);
    }
    netif_set_default(&tap_netif);
    netif_set_up(&tap_netif);
    netif_set_link_up(&tap_netif);
    struct tcp_pcb *pcb = tcp_new();
    if (!pcb || tcp_bind(pcb, IP_ADDR_ANY, (u16_t)atoi(argv[2])) != ERR_OK) {
        fprintf(stderr, "httpd_lwip: cannot bind port %s\n", argv[2]);
        exit(1);
    }
    struct tcp_pcb *l = tcp_listen_with_backlog(pcb, 255);
    tcp_accept(l, on_accept);
    printf("httpd_lwip: listening on %s port %s\n", argv[1], argv[2]);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    if (argc < 4 || !getenv("PRECONFIGURED_TAPIF")) {
        fprintf(stderr, "usage: PRECONFIGURED_TAPIF=TAP httpd_lwip ADDR/PREFIX PORT FILE...\n");
        return 2;
    }
    for (int i = 3; i < argc; i++)
        load(argv[i]);
    tcpip_init(start, argv);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    int sig;
    sigwait(&set, &sig);
    return 0;
}
