/*
 * app/httpd: the web server appliance (docs/HTTPD.md). Internal interface between its files:
 *   main.c     options, the network stack and its configuration, start and shutdown
 *   device.c   the site disk
 *   site.c     the files served: a tar archive on the block device, or a built-in page
 *   cache.c    whole files kept in memory, bounded (cache.h)
 *   server.c   the listener, the connection fibers, admission and eviction (http/http_slots.h)
 *   conn.c     one connection: requests in, responses out (http/http.h does the rules)
 */
#ifndef XENOLITH_APP_HTTPD_HTTPD_H
#define XENOLITH_APP_HTTPD_HTTPD_H

#include <stdbool.h>
#include <stdint.h>
#include "cache.h"
#include "lib/list.h"
#include "xenolith/blk.h"
#include "xenolith/fiber.h"
#include "xenolith/http.h"
#include "xenolith/http_slots.h"
#include "xenolith/net.h"
#include "xenolith/tar.h"
#include "xenolith/tcp.h"
#include "xenolith/time.h"
#include "xenolith/waitq.h"

/* ---- device.c ---- */
/* The platform's first block device, read-only: 0 and *out (NULL when there is none), or
 * -EIO when one was named and cannot be opened (logged). */
int httpd_open_blkdev(struct blkdev **out);

/* ---- site.c ---- */
struct site {
    struct tar_archive *tar;         /* NULL: the built-in page */
    int64_t builtin_mtime;
    struct file_cache cache;         /* the archive's files kept in memory */
};

struct site_file {
    bool is_dir;
    uint64_t size;
    int64_t mtime;
    char etag[HTTP_ETAG_MAX];
    const struct tar_entry *entry;   /* tar files */
    const char *builtin;             /* the built-in page */
    struct cached_file *cached;      /* pinned in the cache while a response reads it */
};

/* Mounts the archive on dev (dev NULL: the built-in page), with a cache of cache_bytes for files
 * up to cache_file_max. Returns 0, or a negative errno after logging why the archive was
 * refused. */
int site_open(struct site *s, struct blkdev *dev, int64_t now_seconds, uint64_t cache_bytes,
              uint64_t cache_file_max);
void site_close(struct site *s);
/* Finds a normalized path ("" is the root). Returns 0 and *out, or -ENOENT (also for symbolic
 * links and special files, which are not served). */
int site_lookup(const struct site *s, const char *path, struct site_file *out);
/* Before reading a file for a response: brings it into the cache when it may be, and pins it
 * there until site_unpin. 0 (cached or not), or a negative errno when reading it failed. */
int site_pin(struct site *s, struct site_file *f, uint64_t deadline_ns);
void site_unpin(struct site_file *f);
/* Copies file bytes [offset, offset + len) into buf: the count, or a negative errno. */
int64_t site_read(const struct site *s, const struct site_file *f, uint64_t offset, void *buf,
                  size_t len, uint64_t deadline_ns);

/* ---- server.c ---- */
struct httpd_config {
    uint16_t port;
    unsigned max_conns;              /* clients served at once (http/http_slots.h) */
    struct http_timeouts timeouts;   /* idle, head, body, send, linger */
    uint64_t cache_bytes, cache_file_max;   /* the file cache's bound, and its largest file */
    bool access_log;
};
void httpd_default_config(struct httpd_config *cfg);

/* The counters printed at shutdown (docs/HTTPD.md, "Counters"). */
struct httpd_stats {
    uint64_t connections, refused, requests;
    uint64_t status[4];              /* by class: 2xx, 3xx, 4xx, 5xx */
    uint64_t header_timeouts, idle_closes, send_failures, bytes_sent;
    uint64_t refused_busy, refused_no_memory, refused_stopping;
    uint64_t evicted_idle, evicted_heads, evicted_closing;
    uint64_t body_timeouts, send_timeouts, linger_timeouts;
    uint64_t keepalive_requests;     /* requests that came on an already used connection */
};

/* One connection as the server tracks it: its place in the slot table, its TCP handle. */
struct conn_slot {
    struct list_node link;           /* in server.conns, every connection whose fiber runs */
    struct http_slot hs;
    struct server *srv;
    struct tcp_conn *tcp;            /* NULL once the connection's fiber let it go */
    bool evicted;                    /* taken away to make room: end at once */
};

struct server {
    struct httpd_config cfg;
    struct netstack *stack;
    struct site *site;
    struct tcp_listener *listener;
    struct fiber *acceptor;
    struct list_node conns;
    struct http_slots slots;
    unsigned active;                 /* connection fibers alive, counted or not */
    bool stopping;
    struct waitq drained;            /* woken whenever a connection fiber ends */
    struct httpd_stats stats;
};

int server_start(struct server *srv, struct netstack *stack, struct site *site,
                 const struct httpd_config *cfg);
/* Stops accepting, ends every connection within grace_ns (then resets what is left with
 * tcp_reset), joins the acceptor and prints the counters. */
void server_stop(struct server *srv, uint64_t grace_ns);
/* Moves a connection to another phase; entering CLOSING may cut the oldest closing one short. */
void server_enter(struct server *srv, struct conn_slot *slot, enum http_phase phase);
/* The connection's fiber is done with it: the slot leaves the table and is freed. */
void server_release(struct conn_slot *slot);

/* ---- conn.c ---- */
struct conn;
/* The memory one connection needs, or NULL (out of memory). */
struct conn *conn_create(struct server *srv, struct conn_slot *slot);
void conn_destroy(struct conn *c);
/* Serves the connection until it ends, then frees c and releases its slot (server_release). */
void conn_serve(struct conn *c);

#endif
