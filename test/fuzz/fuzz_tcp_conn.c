/*
 * Fuzz harness: one TCP connection's state machine (net/tcp*.c) driven by arbitrary segments from
 * a peer, interleaved with application calls and the passage of time.
 *
 * Input: a 7-byte preamble, then records until the input ends.
 *   preamble  mode (bit 0: active open, else passive on port 80; bit 1: the application writes
 *             4 KiB at once; bit 2: no-delay; bit 3: acknowledgment choice 1 is the previous
 *             record's acknowledgment plus delta instead of the highest minus delta, so delta 0
 *             repeats it (duplicate ACKs, fast retransmit and recovery) and small deltas walk
 *             it up through what is in flight; bit 4: every SACK option's block edges are
 *             offsets from our initial sequence number, so blocks land on what we sent and the
 *             scoreboard, RACK and SACK-based recovery are reached; bit 5: a record whose
 *             flags carry both SYN and RST is an ICMP error from the peer instead, quoting a
 *             segment of ours whose sequence number is the record's acknowledgment choice, of
 *             type window >> 8 and code window & 255, a "fragmentation needed" one naming a
 *             next-hop MTU of 68 + 6 x delta -- so RFC 5927's checks, soft errors and path MTU
 *             changes to data in flight are reached; bit 6: a SYN flood -- the stack keeps
 *             at most two half-open connections, every segment with SYN alone comes from a
 *             fresh source port (later records speak from it) and the highest sequence number
 *             we have sent follows our latest SYN-ACK, so the half-open limit, SYN cookies and
 *             the handshakes that complete them are reached), the peer's ISN (4 bytes), its
 *             port (2 bytes)
 *   record    flags, control, delta, window (2 bytes), payload length, [options length,
 *             options bytes], payload bytes. control bits 0-1 choose the sequence number (the
 *             peer's next, that plus delta, minus delta, or a raw 32-bit value that follows),
 *             bits 2-3 the acknowledgment (the highest we have sent, minus delta, plus delta, or
 *             raw), bit 4 options present, bit 5 leave the checksum as given (two bytes follow),
 *             bit 6 an application action (delta & 7: write, shut down writing, close, abort,
 *             read, set no-delay, keepalive, nothing), bit 7 a long pause ((delta & 127) x 1 s, so
 *             retransmission, persist, keepalive, TIME_WAIT and FIN_WAIT_2 timers fire) instead
 *             of 10 ms.
 * The peer's "next" advances by what it sends in modes 0-2, so records that follow a valid
 * handshake reach the synchronized states and stay in window.
 *
 * Checks, besides no crash or sanitizer report: every frame the stack sends is a well-formed
 * IPv4 datagram (fuzz_ip_common.h) whose TCP header parses, whose checksum is correct, whose
 * segment fits the MTU, which comes from our address and one of the connection's ports (or is a
 * RST answering a stray segment); the application never reads more bytes than the peer sent;
 * the stack's buffered bytes stay within its global bound; every buffer is freed at the end.
 */
#include "test/fuzz/fuzz_ip_common.h"

#include "lib/errno.h"
#include "net/tcp/tcp.h"
#include "net/wire/tcp_opts.h"

#define OUR_PORT 80

static struct {
    struct fuzz_net net;
    uint16_t peer_port, local_port;  /* local_port: ours once known (passive: 80) */
    uint32_t our_max;                /* highest sequence number we have sent + its length */
    uint32_t our_iss;                /* our initial sequence number, once our SYN was seen */
    uint32_t last_ack;               /* the acknowledgment of the previous record */
    bool our_seen;
    bool relative_acks, relative_sacks, icmp_records, syn_flood;
    uint64_t peer_bytes;             /* payload bytes the peer sent */
    uint64_t read_bytes;             /* bytes the application read */
    struct tcp_listener *l;
    struct tcp_conn *conn;
    bool connecting;
    int action;                      /* pending application action, -1 none */
    bool quit, app_done, read_ended;
    struct waitq wake;
    bool nodelay, write_big;
    struct fiber *app, *opener;
} F;

static void check_tcp_frame(const uint8_t *f, size_t len)
{
    if (len < 14 || load_be16(f + 12) != 0x0800)
        return;
    const uint8_t *ip = f + 14;
    size_t ihl = (size_t)(ip[0] & 15) * 4;
    size_t total = load_be16(ip + 2);
    if (ip[9] != IPV4_PROTO_TCP || (load_be16(ip + 6) & 0x3fff) != 0)
        return;
    uint32_t src;
    memcpy(&src, ip + 12, 4);
    if (src != FUZZ_OUR_IP)
        abort();
    const uint8_t *t = ip + ihl;
    size_t tlen = total - ihl;
    struct tcp_header h;
    struct tcp_options o;
    if (tcp_parse_header(t, tlen, tlen, &h, &o) != TCP_PARSE_OK)
        abort();
    struct csum c;
    csum_init(&c);
    uint32_t dst;
    memcpy(&dst, ip + 16, 4);
    ipv4_csum_add_pseudo(&c, src, dst, IPV4_PROTO_TCP, (uint16_t)tlen);
    csum_add(&c, t, tlen);
    if (csum_finish(&c) != 0)
        abort();
    if (!(h.flags & TCP_FLAG_RST) && F.local_port && h.src_port != F.local_port &&
        h.src_port != OUR_PORT)
        abort();
    size_t payload = tlen - h.header_len;
    uint32_t end = h.seq + (uint32_t)payload + ((h.flags & TCP_FLAG_SYN) ? 1 : 0) +
                   ((h.flags & TCP_FLAG_FIN) ? 1 : 0);
    if (h.flags & TCP_FLAG_SYN) {
        if (!F.local_port)
            F.local_port = h.src_port;
        if (F.syn_flood && F.our_seen && h.src_port == OUR_PORT && h.dst_port == F.peer_port)
            F.our_max = end;   /* the latest SYN-ACK (a cookie's, maybe) is the one to answer */
        if (!F.our_seen) {
            F.our_max = end;
            F.our_iss = h.seq;
            F.last_ack = h.seq + 1;
            F.our_seen = true;
        }
    }
    if (F.our_seen && !(h.flags & TCP_FLAG_RST) && (int32_t)(end - F.our_max) > 0)
        F.our_max = end;
}

static int conn_transmit(struct netdev *dev, struct pbuf *p)
{
    static uint8_t frame[2048];
    if (p->tot_len < 14 || p->tot_len > 14 + dev->mtu ||
        pbuf_copy_out(p, 0, frame, p->tot_len) != 0)
        abort();
    fuzz_check_ipv4_frame(frame, p->tot_len, dev->mtu);
    check_tcp_frame(frame, p->tot_len);
    pbuf_free(p);
    return 0;
}

static const struct netdev_ops conn_ops = { .transmit = conn_transmit };

static int opener_fiber(void *arg)
{
    struct tcp_conn *c = NULL;
    if (tcp_connect_from(F.net.stack, 40000, FUZZ_PEER_IP, F.peer_port,
                         platform_monotonic_ns() + 30ull * 1000000000ull, &c) == 0)
        F.conn = c;
    F.connecting = false;
    waitq_wake_all(&F.wake);
    return 0;
}

static void app_action(int action)
{
    static uint8_t data[4096];
    struct tcp_conn *c = F.conn;
    if (!c)
        return;
    switch (action) {
    case 0:
        memset(data, 'w', sizeof(data));
        tcp_write(c, data, F.write_big ? sizeof(data) : 100, platform_monotonic_ns());
        break;
    case 1:
        tcp_shutdown(c, TCP_SHUT_WR);
        break;
    case 2:
        F.conn = NULL;
        tcp_close(c);
        break;
    case 3:
        F.conn = NULL;
        tcp_abort(c);
        break;
    case 5:
        tcp_set_option(c, TCP_SOCKOPT_NODELAY, !F.nodelay);
        F.nodelay = !F.nodelay;
        break;
    case 6:
        tcp_set_option(c, TCP_SOCKOPT_KEEPALIVE, 1);
        tcp_set_option(c, TCP_SOCKOPT_KEEPIDLE_MS, 1000);
        tcp_set_option(c, TCP_SOCKOPT_KEEPINTVL_MS, 1000);
        break;
    default:
        break;
    }
}

/* The application: accepts (passive), performs the actions the records ask for, reads. Idle, it
 * blocks on F.wake (the harness wakes it for an action or to quit), so long pauses of simulated
 * time cost few wake-ups. */
static int app_fiber(void *arg)
{
    static uint8_t buf[2048];
    const uint64_t poll_ns = 200000000;
    while (!F.quit) {
        if (F.action >= 0) {
            int a = F.action;
            F.action = -1;
            app_action(a);
            continue;
        }
        if (F.l && !F.conn) {
            struct tcp_conn *c;
            int rc = tcp_accept(F.l, &c, platform_monotonic_ns() + poll_ns);
            if (rc == 0) {
                F.conn = c;
                F.read_ended = false;
                if (F.nodelay)
                    tcp_set_option(c, TCP_SOCKOPT_NODELAY, 1);
            } else if (rc != -ETIMEDOUT) {
                waitq_wait(&F.wake, DEADLINE_NONE);
            }
            continue;
        }
        if (F.conn && !F.read_ended) {
            uint64_t deadline = platform_monotonic_ns() + poll_ns;
            long n = tcp_read(F.conn, buf, sizeof(buf), deadline);
            if (n > 0) {
                F.read_bytes += (uint64_t)n;
                if (F.read_bytes > F.peer_bytes)
                    abort();   /* data the peer never sent */
            } else if (n != -EAGAIN) {
                /* -EAGAIN is only our poll deadline; anything else ends the reading */
                F.read_ended = true;
            }
            continue;
        }
        waitq_wait(&F.wake, DEADLINE_NONE);
    }
    F.app_done = true;
    return 0;
}

/* Mode bit 4: the edges of a SACK option (kind 5) become offsets from our ISN. */
static void rebase_sack_blocks(uint8_t *opts, size_t len)
{
    size_t i = 0;
    while (i < len) {
        uint8_t kind = opts[i];
        if (kind == 0)
            return;
        if (kind == 1) {
            i++;
            continue;
        }
        if (i + 1 >= len || opts[i + 1] < 2 || i + opts[i + 1] > len)
            return;
        uint8_t olen = opts[i + 1];
        if (kind == 5)
            for (size_t e = i + 2; e + 4 <= i + olen; e += 4)
                store_be32(opts + e, F.our_iss + load_be32(opts + e));
        i += olen;
    }
}

struct reader {
    const uint8_t *p;
    size_t left;
};

static bool take(struct reader *r, void *out, size_t n)
{
    if (r->left < n)
        return false;
    memcpy(out, r->p, n);
    r->p += n;
    r->left -= n;
    return true;
}

static void send_segment(uint8_t flags, uint32_t seq, uint32_t ack, uint16_t window,
                         const uint8_t *opts, size_t opts_len, const uint8_t *payload,
                         size_t len, bool raw_checksum, uint16_t checksum)
{
    static uint8_t dgram[20 + 60 + 1500];
    uint8_t *t = dgram + 20;
    size_t olen = (opts_len + 3) & ~(size_t)3;
    if (olen > 40)
        olen = 40;
    size_t hl = 20 + olen;
    memset(t, 0, hl);
    store_be16(t, F.peer_port);
    store_be16(t + 2, F.local_port ? F.local_port : OUR_PORT);
    store_be32(t + 4, seq);
    store_be32(t + 8, ack);
    t[12] = (uint8_t)((hl / 4) << 4);
    t[13] = flags;
    store_be16(t + 14, window);
    memcpy(t + 20, opts, opts_len < olen ? opts_len : olen);
    memcpy(t + hl, payload, len);
    if (raw_checksum) {
        store_be16(t + 16, checksum);
    } else {
        struct csum c;
        csum_init(&c);
        ipv4_csum_add_pseudo(&c, FUZZ_PEER_IP, FUZZ_OUR_IP, IPV4_PROTO_TCP, (uint16_t)(hl + len));
        csum_add(&c, t, hl + len);
        store_be16(t + 16, csum_finish(&c));
    }
    fuzz_ip_header(dgram, FUZZ_PEER_IP, FUZZ_OUR_IP, IPV4_PROTO_TCP, 1, 0x4000, hl + len);
    fuzz_ip_deliver(&F.net, dgram, 20 + hl + len, false, 0);
}

/* Mode bit 5: an ICMP error from the peer about a segment of ours carrying sequence number seq. */
static void send_icmp_error(uint8_t type, uint8_t code, uint16_t mtu, uint32_t seq)
{
    uint8_t dgram[20 + 8 + 20 + 8];
    uint8_t *icmp = dgram + 20, *quote = icmp + 8;
    memset(icmp, 0, 8);
    icmp[0] = type;
    icmp[1] = code;
    store_be16(icmp + 6, mtu);
    fuzz_ip_header(quote, FUZZ_OUR_IP, FUZZ_PEER_IP, IPV4_PROTO_TCP, 1, 0x4000, 1500 - 20);
    store_be16(quote + 20, F.local_port ? F.local_port : OUR_PORT);
    store_be16(quote + 22, F.peer_port);
    store_be32(quote + 24, seq);
    store_be16(icmp + 2, inet_checksum(icmp, 8 + 28));
    fuzz_ip_header(dgram, FUZZ_PEER_IP, FUZZ_OUR_IP, IPV4_PROTO_ICMP, 2, 0, 8 + 28);
    fuzz_ip_deliver(&F.net, dgram, sizeof(dgram), false, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct reader r = { data, size };
    uint8_t mode;
    uint8_t isn_bytes[4], port_bytes[2];
    if (!take(&r, &mode, 1) || !take(&r, isn_bytes, 4) || !take(&r, port_bytes, 2))
        return 0;
    memset(&F, 0, sizeof(F));
    waitq_init(&F.wake);
    F.action = -1;
    F.nodelay = mode & 4;
    F.write_big = mode & 2;
    F.relative_acks = mode & 8;
    F.relative_sacks = mode & 16;
    F.icmp_records = mode & 32;
    F.syn_flood = mode & 64;
    F.peer_port = load_be16(port_bytes) ? load_be16(port_bytes) : 1;
    uint32_t peer_next = load_be32(isn_bytes);
    fuzz_ip_up(&F.net, true);
    F.net.dev.ops = &conn_ops;
    struct netstack *s = F.net.stack;
    if (mode & 1) {
        F.local_port = 40000;
        F.connecting = true;
        F.opener = fiber_spawn("opener", opener_fiber, NULL, 0);
        if (F.opener)
            fiber_detach(F.opener);
    } else {
        F.local_port = OUR_PORT;
        if (tcp_listen(s, OUR_PORT, 4, &F.l) != 0)
            abort();
    }
    F.app = fiber_spawn("app", app_fiber, NULL, 0);
    if (!F.app || ((mode & 1) && !F.opener))
        abort();
    fiber_detach(F.app);
    fuzz_run_for(1000000);

    struct tcp_config cfg;
    tcp_get_config(s, &cfg);
    if (F.syn_flood) {
        cfg.max_half_open = 2;
        if (tcp_set_config(s, &cfg) != 0)
            abort();
    }
    unsigned records = 0;
    while (r.left > 0 && records++ < 64) {
        uint8_t hdr[6];
        if (!take(&r, hdr, sizeof(hdr)))
            break;
        uint8_t flags = hdr[0], control = hdr[1], delta = hdr[2];
        uint16_t window = load_be16(hdr + 3);
        size_t len = hdr[5];
        uint32_t seq = peer_next, ack = F.our_max;
        uint8_t raw[4];
        switch (control & 3) {
        case 1: seq = peer_next + delta; break;
        case 2: seq = peer_next - delta; break;
        case 3: if (!take(&r, raw, 4)) goto end; seq = load_be32(raw); break;
        default: break;
        }
        switch ((control >> 2) & 3) {
        case 1: ack = F.relative_acks ? F.last_ack + delta : F.our_max - delta; break;
        case 2: ack = F.our_max + delta; break;
        case 3: if (!take(&r, raw, 4)) goto end; ack = load_be32(raw); break;
        default: break;
        }
        uint8_t opts[40];
        uint8_t opts_len = 0;
        if (control & 16) {
            if (!take(&r, &opts_len, 1))
                break;
            opts_len = opts_len % 41;
            if (!take(&r, opts, opts_len))
                break;
            if (F.relative_sacks)
                rebase_sack_blocks(opts, opts_len);
        }
        uint16_t checksum = 0;
        if (control & 32) {
            uint8_t cs[2];
            if (!take(&r, cs, 2))
                break;
            checksum = load_be16(cs);
        }
        static uint8_t payload[255];
        if (len > r.left)
            len = r.left;
        take(&r, payload, len);
        if (F.syn_flood && flags == TCP_FLAG_SYN)
            F.peer_port++;
        F.last_ack = ack;
        bool icmp = F.icmp_records &&
                    (flags & (TCP_FLAG_SYN | TCP_FLAG_RST)) == (TCP_FLAG_SYN | TCP_FLAG_RST);
        if (icmp)
            send_icmp_error((uint8_t)(window >> 8), (uint8_t)window, (uint16_t)(68 + 6 * delta), ack);
        else
            send_segment(flags, seq, ack, window, opts, opts_len, payload, len, control & 32, checksum);
        F.peer_bytes += len;          /* an upper bound: not all of it need be accepted */
        if (!icmp && !(control & 32) && (control & 3) == 0)
            peer_next += (uint32_t)len + ((flags & TCP_FLAG_SYN) ? 1 : 0) +
                         ((flags & TCP_FLAG_FIN) ? 1 : 0);
        if (control & 64) {
            F.action = delta & 7;
            waitq_wake_all(&F.wake);
        }
        fuzz_run_for((control & 128) ? (uint64_t)(delta & 127) * 1000000000ull : 10000000ull);
        struct tcp_census census;
        tcp_get_census(s, &census);
        if (census.buffered_bytes > cfg.total_buffer_limit)
            abort();
    }
end:
    /* The application stops first (within one 200 ms poll interval), so no handle is closed
     * under a fiber blocked in it. */
    F.quit = true;
    waitq_wake_all(&F.wake);
    for (int i = 0; i < 30 && !F.app_done; i++)
        fuzz_run_for(10000000);
    if (!F.app_done)
        abort();
    if (F.connecting) {
        /* An open still in progress gives up when the stack shuts down. */
        tcp_stack_shutdown(s);
        for (int i = 0; i < 100 && F.connecting; i++)
            fuzz_run_for(1000000);
        if (F.connecting)
            abort();   /* a blocked connect was not woken */
    }
    if (F.conn)
        tcp_abort(F.conn);
    F.conn = NULL;
    if (F.l)
        tcp_listener_close(F.l);
    fuzz_run_for(1000000);
    fuzz_net_down(&F.net);
    return 0;
}
