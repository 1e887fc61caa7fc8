/*
 * xenolith/tcp.h: TCP (RFC 9293) for fibers. Connections and listeners are opaque handles of one
 * network stack (xenolith/net.h brings one up). Every blocking call suspends only the calling
 * fiber and takes an absolute deadline on the monotonic clock (xenolith/time.h; DEADLINE_NONE: no
 * limit; a deadline already past: do not block, answer at once).
 *
 * A typical server: tcp_listen once, an acceptor fiber looping on tcp_accept, and one fiber per
 * connection that tcp_reads and tcp_writes with deadlines and ends with tcp_close (or tcp_abort
 * on error). Stopping: tcp_listener_close wakes the acceptor (-EBADF); tcp_shutdown wakes a
 * connection's fiber so it ends by itself; tcp_reset ends a connection whose fiber does not.
 *
 * What the protocol does (window scaling and timestamps, SACK, RACK-TLP, NewReno/CUBIC, Nagle,
 * delayed ACK, keepalive, TIME_WAIT, RFC 5961 defences, SYN cookies, PMTU discovery): docs/TCP.md.
 *
 * Lifetime: a handle is the caller's until tcp_close or tcp_abort (connections) or
 * tcp_listener_close (listeners); after that it must not be used. Closing a handle does not end the
 * connection at once: the FIN exchange and TIME_WAIT carry on inside the stack. A connection that
 * reaches TIME_WAIT leaves its TCB at once (the handle, if still held, reads CLOSED with no error,
 * and what arrived before the peer's FIN stays readable until it is closed) for a compact
 * TIME_WAIT record that no longer counts against max_connections. Any fiber may use a handle;
 * at most one fiber should read and one write a connection at a time.
 *
 * Addresses are uint32_t in network byte order (print them with "%pI4" and a pointer to the
 * value), ports host-order integers. Errors are negative errno values (lib/errno.h).
 */
#ifndef XENOLITH_PUBLIC_TCP_H
#define XENOLITH_PUBLIC_TCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "xenolith/net.h"
#include "xenolith/time.h"

/* Opaque handles. */
struct tcp_conn;
struct tcp_listener;

/* RFC 9293 3.3.2 connection states. */
enum tcp_conn_state {
    TCPS_CLOSED,
    TCPS_LISTEN,
    TCPS_SYN_SENT,
    TCPS_SYN_RECEIVED,
    TCPS_ESTABLISHED,
    TCPS_FIN_WAIT_1,
    TCPS_FIN_WAIT_2,
    TCPS_CLOSE_WAIT,
    TCPS_CLOSING,
    TCPS_LAST_ACK,
    TCPS_TIME_WAIT,
};
/* "ESTABLISHED", ... Context: any. */
const char *tcp_state_name(enum tcp_conn_state state);

/* ---- Stack-wide configuration (defaults are the RFCs' recommendations) ---- */
struct tcp_config {
    uint64_t msl_ns;                 /* maximum segment lifetime; TIME_WAIT is 2*MSL (default 30 s) */
    uint64_t rto_min_ns;             /* RFC 6298 2.4 lower bound (default 1 s) */
    uint64_t rto_max_ns;             /* upper bound (default 60 s) */
    uint64_t rto_initial_ns;         /* before any RTT sample (RFC 6298 2.1: 1 s) */
    uint64_t delack_ns;              /* delayed-ACK bound, 40..200 ms (RFC 1122 4.2.3.2; default 40) */
    uint64_t syn_timeout_ns;         /* give up an unanswered open after this (default 75 s) */
    unsigned max_retransmits;        /* data retransmissions before the connection is reset (15) */
    unsigned syn_retransmits;        /* SYN / SYN-ACK retransmissions (6) */
    size_t sndbuf_default;           /* per-connection send buffer (default 256 KiB) */
    size_t rcvbuf_default;           /* per-connection receive buffer = window (default 256 KiB) */
    size_t total_buffer_limit;       /* send + receive + out-of-order bytes of all connections */
    unsigned max_connections;        /* TCBs (TIME_WAIT records are apart) (default 4096) */
    unsigned max_time_wait;          /* TIME_WAIT records; when full the oldest is reused (8192) */
    unsigned orphan_retries;         /* retransmissions / window probes of a closed connection
                                        still sending its FIN before it is reaped (8; 1..16) */
    uint64_t invalid_ack_interval_ns;/* at most one ACK per connection per this answering
                                        invalid segments (RFC 5961 10; default 500 ms, 0: off) */
    unsigned max_half_open;          /* SYN_RECEIVED TCBs per stack; above: SYN cookies, or
                                        dropped SYNs in an image without them (256) */
    bool syncookies;                 /* answer SYNs with cookies when the half-open queue is full
                                        (true; false and unchangeable, -EINVAL, when the app.mk
                                        leaves syncookies out: APP_NET_WITHOUT) */
    bool timestamps;                 /* offer RFC 7323 timestamps */
    bool window_scaling;             /* offer RFC 7323 window scaling */
    bool sack;                       /* offer SACK (RFC 2018) */
    char congestion_control[16];     /* default algorithm: "cubic" or "newreno" ("newreno"
                                        only when the app.mk leaves cubic out) */
};
/* The stack's current configuration (the defaults until changed). Context: fiber or loop. */
void tcp_get_config(struct netstack *s, struct tcp_config *out);
/* Validates and installs cfg for connections created from now on (change one field of what
 * tcp_get_config gave). Returns 0, or -EINVAL (with a logged reason) for out-of-range values or
 * an unknown congestion control name, -ENETDOWN when the stack has no TCP. Context: fiber or
 * loop. */
int tcp_set_config(struct netstack *s, const struct tcp_config *cfg);

/* Buffer sizes chosen before the SYN (bytes, 4 KiB .. 16 MiB; 0: the stack default). The receive
 * buffer also chooses the RFC 7323 window scale we offer, which cannot change after the SYN: a
 * receive buffer grown later with TCP_SOCKOPT_RCVBUF is only offered up to 65535 << that scale. */
struct tcp_buffer_sizes {
    size_t sndbuf;
    size_t rcvbuf;
};

/* ---- Passive open ---- */

/* Listens on port (1..65535) of our address. backlog bounds the established connections waiting
 * for tcp_accept (1..1024; above is clamped); SYNs beyond it are dropped and counted, so the peer
 * retries. Returns 0 and *out, or -EADDRINUSE (a listener has the port), -EINVAL (port 0 or
 * backlog 0), -ENOMEM, -ENETDOWN (the stack has no TCP). Does not block. Context: fiber or loop. */
int tcp_listen(struct netstack *s, uint16_t port, unsigned backlog, struct tcp_listener **out);
/* Takes the oldest established connection waiting on the listener, blocking until one arrives or
 * deadline. Returns 0 and *out (a connection the caller now owns), -ETIMEDOUT, -EBADF once the
 * listener is closed, or -ENETDOWN when the stack's TCP was shut down. Context: fiber only. */
int tcp_accept(struct tcp_listener *l, struct tcp_conn **out, uint64_t deadline_ns);
/* Stops listening and releases the handle: connections waiting for accept are reset, fibers
 * blocked in tcp_accept wake with -EBADF (so another fiber may close a listener its acceptor is
 * blocked on; the acceptor must not use it afterwards). Context: fiber or loop. */
void tcp_listener_close(struct tcp_listener *l);
/* The port l listens on. Context: fiber or loop. */
uint16_t tcp_listener_port(const struct tcp_listener *l);
/* Buffer sizes (and so the window scale) of connections the listener accepts from now on.
 * Returns 0 or -EINVAL (a size out of range). Context: fiber or loop. */
int tcp_listener_set_buffers(struct tcp_listener *l, const struct tcp_buffer_sizes *sizes);

/* ---- Active open ---- */

/* Opens a connection to dst:port from an unpredictable ephemeral port (RFC 6056), blocking until it
 * is established, refused or deadline. Returns 0 and *out, or -ECONNREFUSED (RST), -ETIMEDOUT
 * (deadline or SYN retransmissions exhausted), -ENETUNREACH (no route, or the stack has no
 * address yet: DHCP still running), -EHOSTUNREACH (ICMP unreachable during the open),
 * -EADDRNOTAVAIL (no free port), -ENOMEM, -EINVAL (address or port 0, a broadcast address),
 * -ENETDOWN (the stack has no TCP). While it blocks, *out already holds the connection being
 * opened, so a timer or another fiber can cut the open short with tcp_reset (the call then
 * returns -ECONNABORTED; *out is NULL again after every failure). Context: fiber only. */
int tcp_connect(struct netstack *s, uint32_t dst, uint16_t port, uint64_t deadline_ns,
                struct tcp_conn **out);
/* The same from a chosen local port (0: ephemeral); -EADDRINUSE if that 4-tuple is taken.
 * Context: fiber only. */
int tcp_connect_from(struct netstack *s, uint16_t local_port, uint32_t dst, uint16_t port,
                     uint64_t deadline_ns, struct tcp_conn **out);
/* The same with chosen buffer sizes (NULL: defaults); -EINVAL for a size out of range.
 * Context: fiber only. */
int tcp_connect_sized(struct netstack *s, uint16_t local_port, uint32_t dst, uint16_t port,
                      const struct tcp_buffer_sizes *sizes, uint64_t deadline_ns,
                      struct tcp_conn **out);

/* ---- Data ---- */

/* Copies up to len bytes of in-order received data into buf, blocking until at least one byte,
 * the peer's FIN or deadline. Returns the bytes copied (> 0), 0 at end of stream (FIN received
 * and everything read), -EAGAIN when the deadline passed with nothing to read (the connection
 * is fine; as POSIX's SO_RCVTIMEO), -ETIMEDOUT only when the connection died of retransmission
 * or keepalive timeouts (as POSIX), -ECONNRESET (reset by the peer), -ENOTCONN before the
 * connection was established, -EBADF after tcp_shutdown(TCP_SHUT_RD), -ECONNABORTED after
 * tcp_reset, -ENETDOWN when the stack's TCP was shut down. Context: fiber only. */
long tcp_read(struct tcp_conn *c, void *buf, size_t len, uint64_t deadline_ns);
/* Queues len bytes for sending, blocking while the send buffer is full. Returns len when all of it
 * was queued; when the deadline passes, or the connection fails, after some bytes were queued,
 * returns how many were (a partial write); with nothing queued returns -EAGAIN (the deadline
 * passed; the connection is fine), -ETIMEDOUT (the connection died of timeouts), -EPIPE (after
 * tcp_shutdown(TCP_SHUT_WR) or the connection closed), -ECONNRESET, -ENOTCONN, -ECONNABORTED
 * (after tcp_reset). Context: fiber only. */
long tcp_write(struct tcp_conn *c, const void *buf, size_t len, uint64_t deadline_ns);
/* Bytes tcp_read could return without blocking; free room in the send buffer. Context: fiber or
 * loop. */
size_t tcp_readable(const struct tcp_conn *c);
size_t tcp_writable(const struct tcp_conn *c);

/* ---- Ending ---- */
enum tcp_shutdown_how {
    TCP_SHUT_RD = 1,                 /* further reads return -EBADF; data arriving is discarded */
    TCP_SHUT_WR = 2,                 /* send FIN after the queued data (half-close) */
    TCP_SHUT_RDWR = 3,
};
/* Ends one or both directions without releasing the handle; fibers blocked in tcp_read (RD) or
 * tcp_write (WR) on the connection wake. This is how another fiber ends a connection whose owner
 * is blocked on it: the owner wakes and closes it. Returns 0, -ENOTCONN (not synchronized yet),
 * -EINVAL (bad how). Context: fiber or loop. */
int tcp_shutdown(struct tcp_conn *c, enum tcp_shutdown_how how);
/* Graceful close and release of the handle: FIN after the queued data, the rest continues inside
 * the stack. If received data was left unread, the connection is reset instead (RFC 9293 3.10.4,
 * RFC 2525 2.17) so the peer learns it was lost. No fiber may be blocked on c (wake it with
 * tcp_shutdown or tcp_reset first). Context: fiber or loop. */
void tcp_close(struct tcp_conn *c);
/* Sends RST (when synchronized), discards both buffers and releases the handle (RFC 9293 3.10.5).
 * No fiber may be blocked on c. Context: fiber or loop. */
void tcp_abort(struct tcp_conn *c);
/* Resets the connection now but leaves the handle with its owner (RFC 9293 3.10.5, ABORT, with
 * the handle kept): RST to the peer when synchronized, both buffers discarded, the connection
 * CLOSED with error -ECONNABORTED; every fiber blocked on it wakes, and tcp_read and tcp_write
 * then fail with -ECONNABORTED (tcp_read returns 0 if the peer's FIN had already arrived). The
 * owner still releases the handle with tcp_close or tcp_abort. For a stopping application whose
 * connections did not end within a grace period. A connection already CLOSED is left as it is.
 * Context: fiber or loop. */
void tcp_reset(struct tcp_conn *c);

/* ---- Options and statistics ---- */
enum tcp_sockopt {
    TCP_SOCKOPT_NODELAY,             /* 1: send small segments at once (no Nagle, RFC 896) */
    TCP_SOCKOPT_KEEPALIVE,           /* 1: probe an idle connection (RFC 1122 4.2.3.6) */
    TCP_SOCKOPT_KEEPIDLE_MS,         /* idle time before the first probe (default 2 h, min 1 s) */
    TCP_SOCKOPT_KEEPINTVL_MS,        /* between probes (default 75 s, min 1 s) */
    TCP_SOCKOPT_KEEPCNT,             /* unanswered probes before reset (default 9, 1..127) */
    TCP_SOCKOPT_SNDBUF,              /* send buffer bytes (4 KiB .. 16 MiB) */
    TCP_SOCKOPT_RCVBUF,              /* receive buffer bytes = advertised window (4 KiB .. 16 MiB);
                                        only grows once open; the window offered stays within
                                        65535 << the scale chosen at the SYN (tcp_buffer_sizes) */
    TCP_SOCKOPT_USER_TIMEOUT_MS,     /* RFC 9293 3.8.3 user timeout: 0 = max_retransmits decides;
                                        also bounds probing a zero window (persist) */
};
/* Returns 0, -EINVAL (unknown option or value out of range) or -EOPNOTSUPP (keep-alives turned on
 * in an image that leaves them out: APP_NET_WITHOUT, docs/APPLICATIONS.md). Context: fiber or
 * loop. */
int tcp_set_option(struct tcp_conn *c, enum tcp_sockopt opt, long value);
int tcp_get_option(const struct tcp_conn *c, enum tcp_sockopt opt, long *value);
/* Chooses the congestion control ("cubic", "newreno"): -EINVAL for an unknown name. Allowed at any
 * time; the new algorithm starts from the current cwnd and ssthresh. Context: fiber or loop. */
int tcp_set_congestion_control(struct tcp_conn *c, const char *name);

struct tcp_conn_info {
    enum tcp_conn_state state;
    uint32_t local_addr, remote_addr;
    uint16_t local_port, remote_port;
    uint32_t snd_mss;                /* payload bytes per segment we send (options excluded) */
    uint32_t rcv_mss;                /* the MSS we advertised */
    uint8_t snd_wscale, rcv_wscale;  /* RFC 7323 shifts (0 when not negotiated) */
    bool timestamps, sack;           /* negotiated */
    bool nodelay, keepalive;
    char congestion_control[16];
    uint32_t cwnd;                   /* bytes */
    uint32_t ssthresh;               /* bytes */
    uint32_t snd_wnd;                /* the peer's window, bytes */
    uint32_t rcv_wnd;                /* what we advertise, bytes */
    uint32_t bytes_in_flight;        /* SND.NXT - SND.UNA */
    uint64_t srtt_us, rttvar_us, rto_us;
    size_t send_queued;              /* bytes in the send buffer (unsent + unacknowledged) */
    size_t recv_queued;              /* readable bytes */
    size_t ooo_queued;               /* bytes held out of order */
    uint64_t bytes_sent;             /* payload bytes sent, retransmissions excluded */
    uint64_t bytes_retransmitted;
    uint64_t bytes_acked;
    uint64_t bytes_received;         /* in-order payload bytes delivered to the buffer */
    uint64_t segs_in, segs_out;
    uint32_t retransmits;            /* segments retransmitted, all causes */
    uint32_t rto_timeouts;           /* retransmission timer expirations */
    uint32_t fast_retransmits;       /* recovery episodes entered on duplicate ACKs / SACK */
    uint32_t dupacks_received;
    uint32_t tail_loss_probes;       /* RFC 8985 7 */
    uint32_t rack_lost;              /* segments RACK declared lost (RFC 8985 6) */
    uint32_t rack_lost_retransmits;  /* ... that were retransmissions lost again */
    uint32_t zero_window_probes;
    uint32_t keepalive_probes;
    uint32_t challenge_acks;         /* RFC 5961 challenge ACKs sent on this connection */
    int error;                       /* why it ended: 0, -ECONNRESET, -ETIMEDOUT, ... */
};
/* A snapshot of the connection (valid on any held handle, CLOSED ones too). Context: fiber or
 * loop. */
void tcp_get_info(const struct tcp_conn *c, struct tcp_conn_info *out);

/* Counts of the stack's TCBs, for tests and `stats`. */
struct tcp_census {
    unsigned connections;            /* live TCBs (what max_connections bounds), listeners and
                                        TIME_WAIT excluded */
    unsigned half_open;              /* SYN_RECEIVED */
    unsigned time_wait;              /* TIME_WAIT records (what max_time_wait bounds) */
    unsigned listeners;
    size_t buffered_bytes;           /* send + receive + out-of-order bytes of all connections */
    uint64_t rx_stored_by_reference; /* received segments kept in the device's buffer, no copy */
    uint64_t rx_stored_by_copy;      /* ... copied into the receive buffer instead */
    uint64_t rx_collapsed;           /* ... of those, because they pinned too much memory */
};
/* Context: fiber or loop. */
void tcp_get_census(struct netstack *s, struct tcp_census *out);

#endif
