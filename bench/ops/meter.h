/*
 * bench/ops/meter.h: instruction metering shared by the per-operation harnesses (ours and
 * lwIP's). The harness runs under valgrind's callgrind with collection off at start; it turns
 * collection on only while the stack under test works (meter_on/meter_off nest), pauses it
 * while the in-memory wire copies a frame (that is the NIC's job, the same in both harnesses),
 * and dumps one profile per operation (meter_op_end), whose total bench/ops/callgrind-ops.sh
 * reads and divides by the repetition count the harness prints. Outside valgrind the client
 * requests do nothing, so the harnesses also run as plain programs (a correctness check).
 */
#ifndef XENOLITH_BENCH_OPS_METER_H
#define XENOLITH_BENCH_OPS_METER_H

#include <stdio.h>
#include <stdlib.h>
#include <valgrind/callgrind.h>

static int meter_depth;          /* > 0: collecting */
static int meter_paused;

static inline void meter_apply(int was_on)
{
    int now_on = meter_depth > 0 && !meter_paused;
    if (now_on != was_on)
        CALLGRIND_TOGGLE_COLLECT;
}
static inline int meter_collecting(void)
{
    return meter_depth > 0 && !meter_paused;
}
static inline void meter_on(void)
{
    int was = meter_collecting();
    meter_depth++;
    meter_apply(was);
}
static inline void meter_off(void)
{
    int was = meter_collecting();
    if (meter_depth > 0)
        meter_depth--;
    meter_apply(was);
}
/* The wire's copy: not the stack's work. */
static inline void meter_pause(void)
{
    int was = meter_collecting();
    meter_paused++;
    meter_apply(was);
}
static inline void meter_resume(void)
{
    int was = meter_collecting();
    meter_paused--;
    meter_apply(was);
}

static inline void meter_op_begin(void)
{
    CALLGRIND_ZERO_STATS;
}
/* Ends an operation repeated `count` times: one profile dump named after it, and a line
 * "op NAME COUNT" on stdout for the script. */
static inline void meter_op_end(const char *name, unsigned count)
{
    CALLGRIND_DUMP_STATS_AT(name);
    printf("op %s %u\n", name, count);
    fflush(stdout);
}

static inline void bench_fail(const char *what)
{
    fprintf(stderr, "bench: %s\n", what);
    exit(1);
}
#define BENCH_CHECK(cond) do { if (!(cond)) bench_fail(#cond); } while (0)

/* The operations both harnesses measure, with the same repetition counts. */
#define OPS_SEGMENTS 200          /* full-sized segments per bulk measurement (even) */
#define OPS_SEGMENT_BYTES 1460
#define OPS_REQUESTS 50
#define OPS_CONNECTIONS 50
#define OPS_ARP 50
#define OPS_UDP 100
#define OPS_UDP_BYTES 64
#define OPS_HTTP_BODY 1024

/* The HTTP exchange: a typical browser-less request and a response head like httpd's. */
static const char ops_http_request[] =
    "GET /index.html HTTP/1.1\r\nHost: 10.1.0.2\r\nUser-Agent: bench\r\nAccept: */*\r\n\r\n";
static const char ops_http_head[] =
    "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 1024\r\n"
    "ETag: \"5f2a-400-1e00\"\r\nLast-Modified: Mon, 01 Jan 2024 00:00:00 GMT\r\n\r\n";

#endif
