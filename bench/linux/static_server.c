/*
 * bench/linux/static_server.c: the Linux reference for the hosted throughput runs: a small
 * single-threaded epoll HTTP/1.1 server on Linux's own TCP stack, serving files it loads into
 * memory at start, with keep-alive, so that what wrk measures against it is mostly the kernel's
 * stack (the same trivial request handling as bench/lwip/httpd_lwip.c).
 * Usage: static_server ADDR PORT FILE...   (each FILE is served as /<its base name>)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_FILES 16
#define MAX_CONNS 4096

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
    char head[256];
    size_t head_len, head_off;
    const struct file *body;         /* being sent */
    size_t body_off;
};
static struct conn *conns[MAX_CONNS];

static void load(const char *path)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    if (!f || fstat(fileno(f), &st) != 0 || nfiles == MAX_FILES) {
        fprintf(stderr, "static_server: cannot load %s\n", path);
        exit(1);
    }
    struct file *fl = &files[nfiles++];
    const char *base = strrchr(path, '/');
    snprintf(fl->name, sizeof(fl->name), "/%s", base ? base + 1 : path);
    fl->len = (size_t)st.st_size;
    fl->data = malloc(fl->len ? fl->len : 1);
    if (!fl->data || fread(fl->data, 1, fl->len, f) != fl->len) {
        fprintf(stderr, "static_server: cannot read %s\n", path);
        exit(1);
    }
    fclose(f);
}

static void drop(int epfd, int fd)
{
    epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL);
    close(fd);
    free(conns[fd]);
    conns[fd] = NULL;
}

/* Sends what is pending; 1 when all of it went, 0 when the socket is full, -1 on error. */
static int flush_out(int fd, struct conn *c)
{
    while (c->head_off < c->head_len) {
        ssize_t n = send(fd, c->head + c->head_off, c->head_len - c->head_off, MSG_NOSIGNAL | MSG_MORE);
        if (n < 0)
            return errno == EAGAIN ? 0 : -1;
        c->head_off += (size_t)n;
    }
    while (c->body && c->body_off < c->body->len) {
        ssize_t n = send(fd, c->body->data + c->body_off, c->body->len - c->body_off, MSG_NOSIGNAL);
        if (n < 0)
            return errno == EAGAIN ? 0 : -1;
        c->body_off += (size_t)n;
    }
    c->body = NULL;
    c->head_len = c->head_off = 0;
    return 1;
}

/* Answers every complete request in the input buffer while output is free. */
static int serve(int fd, struct conn *c)
{
    for (;;) {
        if (c->head_len) {
            int r = flush_out(fd, c);
            if (r <= 0)
                return r;
        }
        c->in[c->have] = 0;
        char *end = strstr(c->in, "\r\n\r\n");
        if (!end)
            return c->have >= sizeof(c->in) - 1 ? -1 : 1;
        char path[256] = "";
        sscanf(c->in, "GET %255s", path);
        const struct file *f = NULL;
        for (int i = 0; i < nfiles; i++)
            if (!strcmp(files[i].name, path))
                f = &files[i];
        if (f) {
            c->head_len = (size_t)snprintf(c->head, sizeof(c->head),
                "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %zu\r\n\r\n", f->len);
            c->body = f;
        } else {
            c->head_len = (size_t)snprintf(c->head, sizeof(c->head),
                "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
        }
        c->head_off = c->body_off = 0;
        size_t used = (size_t)(end + 4 - c->in);
        memmove(c->in, c->in + used, c->have - used);
        c->have -= used;
    }
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: static_server ADDR PORT FILE...\n");
        return 2;
    }
    for (int i = 3; i < argc; i++)
        load(argv[i]);
    signal(SIGPIPE, SIG_IGN);
    int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2])) };
    if (inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1 || bind(ls, (struct sockaddr *)&sa, sizeof(sa)) ||
        listen(ls, 512)) {
        perror("static_server: listen");
        return 1;
    }
    int epfd = epoll_create1(0);
    struct epoll_event ev = { .events = EPOLLIN, .data.fd = ls };
    epoll_ctl(epfd, EPOLL_CTL_ADD, ls, &ev);
    printf("static_server: listening on %s:%s\n", argv[1], argv[2]);
    fflush(stdout);
    struct epoll_event evs[64];
    for (;;) {
        int n = epoll_wait(epfd, evs, 64, -1);
        for (int i = 0; i < n; i++) {
            int fd = evs[i].data.fd;
            if (fd == ls) {
                int cfd;
                while ((cfd = accept4(ls, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                    if (cfd >= MAX_CONNS || !(conns[cfd] = calloc(1, sizeof(struct conn)))) {
                        close(cfd);
                        continue;
                    }
                    setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
                    struct epoll_event cev = { .events = EPOLLIN | EPOLLOUT | EPOLLET, .data.fd = cfd };
                    epoll_ctl(epfd, EPOLL_CTL_ADD, cfd, &cev);
                }
                continue;
            }
            struct conn *c = conns[fd];
            if (!c)
                continue;
            int dead = 0;
            if (evs[i].events & EPOLLIN) {
                for (;;) {
                    ssize_t r = recv(fd, c->in + c->have, sizeof(c->in) - 1 - c->have, 0);
                    if (r > 0) {
                        c->have += (size_t)r;
                        if (c->have == sizeof(c->in) - 1)
                            break;
                        continue;
                    }
                    if (r == 0 || errno != EAGAIN)
                        dead = 1;
                    break;
                }
            }
            if (!dead && serve(fd, c) < 0)
                dead = 1;
            if (dead)
                drop(epfd, fd);
        }
    }
}
