/*
 * Unit tests for dns/dns_read and dns/dns_write: DNS messages (RFC 1035 4.1), name compression
 * on output and its bounded, loop-proof decompression on input (RFC 1035 4.1.4), the rdata of
 * each known type, and EDNS(0) (RFC 6891). Each rule cites its RFC section.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dns_wire.h"
#include "lib/errno.h"
#include "xenolith/test_main.h"

static struct dns_name name_of(const char *text)
{
    struct dns_name n;
    ck_assert_int_eq(dns_name_from_text(&n, text, strlen(text)), 0);
    return n;
}

/* A header with the given counts followed by body bytes. */
static size_t message(uint8_t *buf, uint16_t qd, uint16_t an, const void *body, size_t len)
{
    memset(buf, 0, DNS_HEADER_LEN);
    buf[0] = 0x12;
    buf[1] = 0x34;
    buf[5] = (uint8_t)qd;
    buf[7] = (uint8_t)an;
    memcpy(buf + DNS_HEADER_LEN, body, len);
    return DNS_HEADER_LEN + len;
}

static int read_first_rr(const uint8_t *buf, size_t len, struct dns_rr *rr)
{
    struct dns_reader r;
    int err = dns_reader_init(&r, buf, len, NULL);
    return err < 0 ? err : dns_read_rr(&r, rr);
}

static int read_first_question(const uint8_t *buf, size_t len, struct dns_question *q)
{
    struct dns_reader r;
    int err = dns_reader_init(&r, buf, len, NULL);
    return err < 0 ? err : dns_read_question(&r, q);
}

static struct dns_rr rr_a(const char *owner, uint32_t ttl, uint8_t last)
{
    struct dns_rr rr;
    memset(&rr, 0, sizeof(rr));
    rr.name = name_of(owner);
    rr.type = DNS_TYPE_A;
    rr.rclass = DNS_CLASS_IN;
    rr.ttl = ttl;
    memcpy(rr.rd.a, (uint8_t[]){10, 0, 0, last}, 4);
    return rr;
}

START_TEST(round_trip_of_every_type)
{
    /* RFC 1035 3.3 and 3.4 (A, NS, CNAME, SOA, PTR, MX, TXT), RFC 3596 (AAAA), RFC 2782 (SRV) */
    struct dns_rr in[9];
    memset(in, 0, sizeof(in));
    in[0] = rr_a("example.com", 300, 1);
    in[1].type = DNS_TYPE_AAAA;
    memset(in[1].rd.aaaa, 0xfe, 16);
    in[2].type = DNS_TYPE_NS;
    in[2].rd.target = name_of("ns1.example.com");
    in[3].type = DNS_TYPE_CNAME;
    in[3].rd.target = name_of("www.example.com");
    in[4].type = DNS_TYPE_SOA;
    in[4].rd.soa.mname = name_of("ns1.example.com");
    in[4].rd.soa.rname = name_of("hostmaster.example.com");
    in[4].rd.soa.serial = 2026120601;
    in[4].rd.soa.refresh = 7200;
    in[4].rd.soa.retry = 900;
    in[4].rd.soa.expire = 1209600;
    in[4].rd.soa.minimum = 60;
    in[5].type = DNS_TYPE_PTR;
    in[5].rd.target = name_of("host.example.com");
    in[6].type = DNS_TYPE_MX;
    in[6].rd.mx.preference = 10;
    in[6].rd.mx.exchange = name_of("mail.example.com");
    in[7].type = DNS_TYPE_TXT;
    in[7].rd.raw.len = 9;
    memcpy(in[7].rd.raw.data, "\3abc\4defg", 9);
    in[8].type = DNS_TYPE_SRV;
    in[8].rd.srv.priority = 1;
    in[8].rd.srv.weight = 2;
    in[8].rd.srv.port = 5060;
    in[8].rd.srv.target = name_of("sip.example.com");
    for (int i = 1; i < 9; i++) {
        in[i].name = name_of("example.com");
        in[i].rclass = DNS_CLASS_IN;
        in[i].ttl = (uint32_t)i * 100;
    }
    uint8_t buf[2048];
    struct dns_writer w;
    dns_writer_init(&w, buf, sizeof(buf));
    struct dns_header h = {.id = 0xbeef, .flags = DNS_FLAG_QR | DNS_FLAG_AA, .qdcount = 1, .ancount = 9};
    ck_assert_int_eq(dns_write_header(&w, &h), 0);
    struct dns_question q = {.name = name_of("example.com"), .type = DNS_TYPE_ANY, .qclass = DNS_CLASS_IN};
    ck_assert_int_eq(dns_write_question(&w, &q), 0);
    for (int i = 0; i < 9; i++)
        ck_assert_int_eq(dns_write_rr(&w, &in[i]), 0);

    struct dns_reader r;
    struct dns_header got;
    ck_assert_int_eq(dns_reader_init(&r, buf, dns_writer_len(&w), &got), 0);
    ck_assert_int_eq(got.id, 0xbeef);
    ck_assert_int_eq(got.flags, DNS_FLAG_QR | DNS_FLAG_AA);
    ck_assert_int_eq(got.ancount, 9);
    struct dns_question gq;
    ck_assert_int_eq(dns_read_question(&r, &gq), 0);
    ck_assert(dns_name_equal(&gq.name, &q.name));
    ck_assert_int_eq(gq.type, DNS_TYPE_ANY);
    ck_assert_int_eq(dns_read_question(&r, &gq), -ENOENT);
    for (int i = 0; i < 9; i++) {
        struct dns_rr out;
        ck_assert_int_eq(dns_read_rr(&r, &out), DNS_SECTION_ANSWER);
        ck_assert(dns_name_equal(&out.name, &in[i].name));
        ck_assert_int_eq(out.type, in[i].type);
        ck_assert_int_eq(out.ttl, in[i].ttl);
        switch (out.type) {
        case DNS_TYPE_A: ck_assert_mem_eq(out.rd.a, in[i].rd.a, 4); break;
        case DNS_TYPE_AAAA: ck_assert_mem_eq(out.rd.aaaa, in[i].rd.aaaa, 16); break;
        case DNS_TYPE_NS:
        case DNS_TYPE_CNAME:
        case DNS_TYPE_PTR: ck_assert(dns_name_equal(&out.rd.target, &in[i].rd.target)); break;
        case DNS_TYPE_MX:
            ck_assert_int_eq(out.rd.mx.preference, 10);
            ck_assert(dns_name_equal(&out.rd.mx.exchange, &in[i].rd.mx.exchange));
            break;
        case DNS_TYPE_SOA:
            ck_assert(dns_name_equal(&out.rd.soa.rname, &in[i].rd.soa.rname));
            ck_assert_uint_eq(out.rd.soa.serial, 2026120601);
            ck_assert_uint_eq(out.rd.soa.minimum, 60);
            break;
        case DNS_TYPE_TXT:
            ck_assert_int_eq(out.rd.raw.len, 9);
            ck_assert_mem_eq(out.rd.raw.data, "\3abc\4defg", 9);
            break;
        case DNS_TYPE_SRV:
            ck_assert_int_eq(out.rd.srv.port, 5060);
            ck_assert(dns_name_equal(&out.rd.srv.target, &in[i].rd.srv.target));
            break;
        }
    }
    struct dns_rr end;
    ck_assert_int_eq(dns_read_rr(&r, &end), -ENOENT);
    ck_assert_uint_eq(dns_reader_offset(&r), dns_writer_len(&w));
}
END_TEST

/* Appends the uncompressed wire form of name n at rd[*len] (for building rdata by hand). */
static void wire_name(uint8_t *rd, size_t *len, const char *text)
{
    struct dns_name n = name_of(text);
    memcpy(rd + *len, n.wire, n.len);
    *len += n.len;
}

START_TEST(records_in_wire_form_write_as_decoded_ones)
{
    /* A record given as its uncompressed rdata (RFC 1035 3.3) is written exactly as the same
     * record decoded: the names dns_rdata_layout marks are compressed (RFC 1035 4.1.4), the SRV
     * target is not (RFC 2782), the rest is copied. */
    struct {
        uint16_t type;
        const char *layout;
    } want[] = {{DNS_TYPE_A, "a"}, {DNS_TYPE_AAAA, "A"}, {DNS_TYPE_NS, "n"}, {DNS_TYPE_MX, "2n"},
                {DNS_TYPE_SRV, "222N"}, {DNS_TYPE_SOA, "nn44444"}, {DNS_TYPE_TXT, "s"}};
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        ck_assert_str_eq(dns_rdata_layout(want[i].type), want[i].layout);
    ck_assert_ptr_null(dns_rdata_layout(99));

    struct dns_rr in[5];
    uint8_t rd[5][128];
    size_t rdlen[5] = {0};
    memset(in, 0, sizeof(in));
    in[0] = rr_a("www.example.com", 300, 7);
    memcpy(rd[0], in[0].rd.a, 4);
    rdlen[0] = 4;
    in[1].type = DNS_TYPE_MX;
    in[1].rd.mx.preference = 10;
    in[1].rd.mx.exchange = name_of("mail.example.com");
    memcpy(rd[1], "\0\12", 2);
    rdlen[1] = 2;
    wire_name(rd[1], &rdlen[1], "mail.example.com");
    in[2].type = DNS_TYPE_SRV;
    in[2].rd.srv.priority = 1;
    in[2].rd.srv.weight = 2;
    in[2].rd.srv.port = 5060;
    in[2].rd.srv.target = name_of("sip.example.com");
    memcpy(rd[2], "\0\1\0\2\23\304", 6);
    rdlen[2] = 6;
    wire_name(rd[2], &rdlen[2], "sip.example.com");
    in[3].type = DNS_TYPE_SOA;
    in[3].rd.soa.mname = name_of("ns1.example.com");
    in[3].rd.soa.rname = name_of("hostmaster.example.com");
    in[3].rd.soa.serial = 1;
    in[3].rd.soa.refresh = 2;
    in[3].rd.soa.retry = 3;
    in[3].rd.soa.expire = 4;
    in[3].rd.soa.minimum = 5;
    wire_name(rd[3], &rdlen[3], "ns1.example.com");
    wire_name(rd[3], &rdlen[3], "hostmaster.example.com");
    memcpy(rd[3] + rdlen[3], "\0\0\0\1\0\0\0\2\0\0\0\3\0\0\0\4\0\0\0\5", 20);
    rdlen[3] += 20;
    in[4].type = DNS_TYPE_TXT;
    in[4].rd.raw.len = 9;
    memcpy(in[4].rd.raw.data, "\3abc\4defg", 9);
    memcpy(rd[4], "\3abc\4defg", 9);
    rdlen[4] = 9;
    for (int i = 1; i < 5; i++) {
        in[i].name = name_of("example.com");
        in[i].rclass = DNS_CLASS_IN;
        in[i].ttl = 60;
    }
    uint8_t a[1024], b[1024];
    struct dns_writer wa, wb;
    dns_writer_init(&wa, a, sizeof(a));
    dns_writer_init(&wb, b, sizeof(b));
    struct dns_header h = {.id = 1, .ancount = 5};
    ck_assert_int_eq(dns_write_header(&wa, &h), 0);
    ck_assert_int_eq(dns_write_header(&wb, &h), 0);
    for (int i = 0; i < 5; i++) {
        ck_assert_int_eq(dns_write_rr(&wa, &in[i]), 0);
        ck_assert_int_eq(dns_write_rr_wire(&wb, in[i].name.wire, in[i].type, DNS_CLASS_IN, in[i].ttl,
                                           rd[i], rdlen[i]), 0);
    }
    ck_assert_uint_eq(dns_writer_len(&wb), dns_writer_len(&wa));
    ck_assert_mem_eq(b, a, dns_writer_len(&wa));

    /* rdata not following the layout is refused and leaves the writer as it was */
    size_t before = dns_writer_len(&wb);
    ck_assert_int_eq(dns_write_rr_wire(&wb, in[0].name.wire, DNS_TYPE_A, DNS_CLASS_IN, 1, rd[0], 3), -EINVAL);
    ck_assert_int_eq(dns_write_rr_wire(&wb, in[1].name.wire, DNS_TYPE_MX, DNS_CLASS_IN, 1, rd[1], rdlen[1] - 1),
                     -EINVAL);
    ck_assert_int_eq(dns_write_rr_wire(&wb, in[1].name.wire, DNS_TYPE_MX, DNS_CLASS_IN, 1, rd[1], rdlen[1] + 1),
                     -EINVAL);
    ck_assert_uint_eq(dns_writer_len(&wb), before);
    /* and one that does not fit: -ENOSPC, the writer unchanged */
    wb.cap = before + 20;
    ck_assert_int_eq(dns_write_rr_wire(&wb, in[3].name.wire, DNS_TYPE_SOA, DNS_CLASS_IN, 1, rd[3], rdlen[3]),
                     -ENOSPC);
    ck_assert_uint_eq(dns_writer_len(&wb), before);
}
END_TEST

START_TEST(compression_shrinks_repeated_names)
{
    /* RFC 1035 4.1.4: a repeated name, or a repeated suffix, becomes a 2-byte pointer. Ten A
     * records of www.example.com after the question: the owner is 2 bytes, not 17. */
    uint8_t buf[1024];
    struct dns_writer w;
    dns_writer_init(&w, buf, sizeof(buf));
    struct dns_header h = {0};
    ck_assert_int_eq(dns_write_header(&w, &h), 0);
    struct dns_question q = {.name = name_of("www.example.com"), .type = DNS_TYPE_A, .qclass = 1};
    ck_assert_int_eq(dns_write_question(&w, &q), 0);
    size_t after_question = dns_writer_len(&w);
    ck_assert_uint_eq(after_question, 12 + 17 + 4);
    for (int i = 0; i < 10; i++) {
        struct dns_rr rr = rr_a("WWW.EXAMPLE.COM", 60, (uint8_t)i); /* case differs: still matched */
        ck_assert_int_eq(dns_write_rr(&w, &rr), 0);
    }
    ck_assert_uint_eq(dns_writer_len(&w), after_question + 10 * (2 + 10 + 4));
    ck_assert_int_eq(buf[after_question], 0xc0);
    ck_assert_int_eq(buf[after_question + 1], 12);
    /* a name sharing only a suffix: "mail" then a pointer to example.com (offset 16) */
    struct dns_rr mx = rr_a("example.com", 60, 0);
    mx.type = DNS_TYPE_MX;
    mx.rd.mx.preference = 5;
    mx.rd.mx.exchange = name_of("mail.example.com");
    size_t before = dns_writer_len(&w);
    ck_assert_int_eq(dns_write_rr(&w, &mx), 0);
    ck_assert_uint_eq(dns_writer_len(&w), before + 2 + 10 + 2 + 5 + 2);
    ck_assert_int_eq(buf[before], 0xc0);
    ck_assert_int_eq(buf[before + 1], 16);
    dns_writer_set_counts(&w, 1, 11, 0, 0);
    /* and everything reads back */
    struct dns_reader r;
    ck_assert_int_eq(dns_reader_init(&r, buf, dns_writer_len(&w), NULL), 0);
    struct dns_rr out;
    for (int i = 0; i < 10; i++) {
        ck_assert_int_eq(dns_read_rr(&r, &out), DNS_SECTION_ANSWER);
        ck_assert(dns_name_equal(&out.name, &q.name));
        ck_assert_int_eq(out.rd.a[3], i);
    }
    ck_assert_int_eq(dns_read_rr(&r, &out), DNS_SECTION_ANSWER);
    struct dns_name mail = name_of("mail.example.com");
    ck_assert(dns_name_equal(&out.rd.mx.exchange, &mail));
}
END_TEST

START_TEST(srv_target_is_never_compressed)
{
    /* RFC 2782: "name compression is not to be used for this field" */
    uint8_t buf[512];
    struct dns_writer w;
    dns_writer_init(&w, buf, sizeof(buf));
    struct dns_header h = {0};
    dns_write_header(&w, &h);
    struct dns_question q = {.name = name_of("sip.example.com"), .type = DNS_TYPE_SRV, .qclass = 1};
    dns_write_question(&w, &q);
    struct dns_rr srv = rr_a("_sip._udp.example.com", 60, 0);
    srv.type = DNS_TYPE_SRV;
    srv.rd.srv.target = name_of("sip.example.com");
    size_t before = dns_writer_len(&w);
    ck_assert_int_eq(dns_write_rr(&w, &srv), 0);
    /* owner: "_sip" "_udp" + pointer = 5+5+2; fixed 10; rdata 6 + 17 (full target) */
    ck_assert_uint_eq(dns_writer_len(&w), before + 12 + 10 + 6 + 17);
}
END_TEST

START_TEST(enospc_rolls_back_the_record)
{
    /* A record that does not fit leaves the message as it was, so a server can set TC
     * (RFC 2181 9) and send what it has. */
    uint8_t buf[12 + 17 + 4 + 16 + 5];
    struct dns_writer w;
    dns_writer_init(&w, buf, sizeof(buf));
    struct dns_header h = {.id = 1};
    ck_assert_int_eq(dns_write_header(&w, &h), 0);
    struct dns_question q = {.name = name_of("www.example.com"), .type = DNS_TYPE_A, .qclass = 1};
    ck_assert_int_eq(dns_write_question(&w, &q), 0);
    struct dns_rr a = rr_a("www.example.com", 60, 1);
    ck_assert_int_eq(dns_write_rr(&w, &a), 0);
    size_t len = dns_writer_len(&w);
    struct dns_rr other = rr_a("other.example.com", 60, 2); /* 6 + 2 + 14 bytes: too big */
    ck_assert_int_eq(dns_write_rr(&w, &other), -ENOSPC);
    ck_assert_uint_eq(dns_writer_len(&w), len);
    /* the names the failed record remembered are forgotten: nothing points past the end */
    ck_assert_uint_eq(w.nnames, 3);
    dns_writer_set_flags(&w, DNS_FLAG_QR | DNS_FLAG_TC);
    dns_writer_set_counts(&w, 1, 1, 0, 0);
    struct dns_reader r;
    struct dns_header got;
    ck_assert_int_eq(dns_reader_init(&r, buf, dns_writer_len(&w), &got), 0);
    ck_assert_int_eq(got.flags, DNS_FLAG_QR | DNS_FLAG_TC);
    struct dns_rr out;
    ck_assert_int_eq(dns_read_rr(&r, &out), DNS_SECTION_ANSWER);
    ck_assert_int_eq(dns_read_rr(&r, &out), -ENOENT);
}
END_TEST

START_TEST(pointer_loop_refused)
{
    /* RFC 1035 4.1.4 pointers: a pointer to itself, and two pointing at each other, must not
     * hang the reader. */
    uint8_t buf[64];
    const uint8_t self[] = {0xc0, 12, 0, 1, 0, 1};
    ck_assert_int_eq(read_first_question(buf, message(buf, 1, 0, self, sizeof(self)), &(struct dns_question){0}), -EBADMSG);
    /* offset 12: label "a" then a pointer to offset 12 (back to the start of its own name) */
    const uint8_t loop[] = {1, 'a', 0xc0, 12, 0, 1, 0, 1};
    ck_assert_int_eq(read_first_question(buf, message(buf, 1, 0, loop, sizeof(loop)), &(struct dns_question){0}), -EBADMSG);
    /* two names: the second (at 20) points to the first's pointer (at 14) which points to 20 */
    const uint8_t pair[] = {1, 'a', 0xc0, 20, 0, 1, 0, 1, 0xc0, 14, 0, 1, 0, 1};
    struct dns_reader r;
    struct dns_question q;
    ck_assert_int_eq(dns_reader_init(&r, buf, message(buf, 2, 0, pair, sizeof(pair)), NULL), 0);
    ck_assert_int_eq(dns_read_question(&r, &q), -EBADMSG);
}
END_TEST

START_TEST(forward_pointer_refused)
{
    /* RFC 1035 4.1.4: a pointer refers to a "prior occurance" of the name; one pointing
     * forward (here to a valid name later in the message) is refused. */
    uint8_t buf[64];
    const uint8_t fwd[] = {0xc0, 18, 0, 1, 0, 1, 1, 'b', 0};
    ck_assert_int_eq(read_first_question(buf, message(buf, 1, 0, fwd, sizeof(fwd)), &(struct dns_question){0}), -EBADMSG);
    /* and one into the header */
    const uint8_t hdr[] = {0xc0, 2, 0, 1, 0, 1};
    ck_assert_int_eq(read_first_question(buf, message(buf, 1, 0, hdr, sizeof(hdr)), &(struct dns_question){0}), -EBADMSG);
    /* a backward pointer is fine */
    const uint8_t back[] = {1, 'b', 0, 0, 1, 0, 1, 0xc0, 12, 0, 1, 0, 1};
    struct dns_reader r;
    struct dns_question q;
    ck_assert_int_eq(dns_reader_init(&r, buf, message(buf, 2, 0, back, sizeof(back)), NULL), 0);
    ck_assert_int_eq(dns_read_question(&r, &q), 0);
    ck_assert_int_eq(dns_read_question(&r, &q), 0);
    ck_assert_int_eq(q.name.len, 3);
}
END_TEST

START_TEST(reserved_label_types_refused)
{
    /* RFC 6891 5: label types 01 (0x40) and 10 (0x80) are not in use */
    uint8_t buf[64];
    const uint8_t ext[] = {0x41, 'a', 0, 0, 1, 0, 1};
    ck_assert_int_eq(read_first_question(buf, message(buf, 1, 0, ext, sizeof(ext)), &(struct dns_question){0}), -EBADMSG);
    const uint8_t ten[] = {0x81, 'a', 0, 0, 1, 0, 1};
    ck_assert_int_eq(read_first_question(buf, message(buf, 1, 0, ten, sizeof(ten)), &(struct dns_question){0}), -EBADMSG);
}
END_TEST

/* Appends n labels of 50 bytes to body at len; returns the new length. */
static size_t labels50(uint8_t *body, size_t len, int n)
{
    for (int i = 0; i < n; i++) {
        body[len++] = 50;
        memset(body + len, 'a' + i, 50);
        len += 50;
    }
    return len;
}

START_TEST(wire_name_over_255_refused)
{
    /* RFC 1035 2.3.4: 255 octets at most, also when a pointer assembles the name. Question one
     * at offset 12: three labels of 50 (154 bytes). Question two: two more labels and a pointer
     * to offset 12: 102 + 154 = 256 bytes. With one label instead: 51 + 154 = 205, accepted. */
    uint8_t body[400], buf[512];
    size_t len = labels50(body, 0, 3);
    body[len++] = 0;
    memcpy(body + len, "\0\1\0\1", 4);
    len += 4;
    size_t second = len;
    for (int labels = 2; labels >= 1; labels--) {
        len = labels50(body, second, labels);
        body[len++] = 0xc0;
        body[len++] = 12;
        memcpy(body + len, "\0\1\0\1", 4);
        len += 4;
        struct dns_reader r;
        struct dns_question q;
        ck_assert_int_eq(dns_reader_init(&r, buf, message(buf, 2, 0, body, len), NULL), 0);
        ck_assert_int_eq(dns_read_question(&r, &q), 0);
        ck_assert_int_eq(q.name.len, 154);
        if (labels == 2) {
            ck_assert_int_eq(dns_read_question(&r, &q), -EBADMSG);
        } else {
            ck_assert_int_eq(dns_read_question(&r, &q), 0);
            ck_assert_int_eq(q.name.len, 205);
        }
    }
}
END_TEST

START_TEST(wire_label_over_63_refused)
{
    /* RFC 1035 2.3.4 / 4.1.4: a length byte of 64 has its top bits 01: neither a label nor a
     * pointer */
    uint8_t body[80] = {64};
    memset(body + 1, 'a', 64);
    memcpy(body + 65, "\0\0\1\0\1", 5);
    uint8_t buf[128];
    ck_assert_int_eq(read_first_question(buf, message(buf, 1, 0, body, 70), &(struct dns_question){0}), -EBADMSG);
    body[0] = 63;
    memcpy(body + 64, "\0\0\1\0\1", 5);
    ck_assert_int_eq(read_first_question(buf, message(buf, 1, 0, body, 69), &(struct dns_question){0}), 0);
}
END_TEST

START_TEST(counts_beyond_the_message_refused)
{
    /* RFC 1035 4.1.1: QDCOUNT/ANCOUNT say how many entries follow; a header promising 100
     * answers in a 40-byte message is refused at once, and a count one too high fails at the
     * missing record. */
    uint8_t buf[128];
    const uint8_t q[] = {0, 0, 1, 0, 1};
    struct dns_reader r;
    ck_assert_int_eq(dns_reader_init(&r, buf, message(buf, 1, 100, q, sizeof(q)), NULL), -EBADMSG);
    ck_assert_int_eq(dns_reader_init(&r, buf, message(buf, 3, 0, q, sizeof(q)), NULL), -EBADMSG);
    const uint8_t one[] = {0, 0, 1, 0, 1, 0, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 0, 0, 1};
    uint8_t body[64];
    memcpy(body, one, sizeof(one));
    memset(body + sizeof(one), 0, 11);
    /* two answers, the second 11 zero bytes (a root-owned record of type 0, valid) */
    ck_assert_int_eq(dns_reader_init(&r, buf, message(buf, 1, 2, body, sizeof(one) + 11), NULL), 0);
    struct dns_rr rr;
    ck_assert_int_eq(dns_read_rr(&r, &rr), DNS_SECTION_ANSWER);
    ck_assert_int_eq(dns_read_rr(&r, &rr), DNS_SECTION_ANSWER);
    ck_assert_int_eq(dns_read_rr(&r, &rr), -ENOENT);
    /* only 7 bytes of the second answer: the counts pass the floor, the record fails */
    ck_assert_int_eq(dns_reader_init(&r, buf, message(buf, 1, 2, body, sizeof(one) + 7), NULL), 0);
    ck_assert_int_eq(dns_read_rr(&r, &rr), DNS_SECTION_ANSWER);
    ck_assert_int_eq(dns_read_rr(&r, &rr), -EBADMSG);
    /* a message shorter than its header */
    ck_assert_int_eq(dns_reader_init(&r, buf, 11, NULL), -EBADMSG);
}
END_TEST

START_TEST(rdlength_mismatch_refused)
{
    /* RFC 1035 3.4.1: A RDATA is 4 octets; RFC 3596 2.2: AAAA is 16; a name-bearing rdata must
     * end where its RDLENGTH says (RFC 1035 4.1.3) */
    uint8_t buf[128];
    struct dns_rr rr;
    const uint8_t a5[] = {0, 0, 1, 0, 1, 0, 0, 0, 60, 0, 5, 10, 0, 0, 1, 9};
    ck_assert_int_eq(read_first_rr(buf, message(buf, 0, 1, a5, sizeof(a5)), &rr), -EBADMSG);
    const uint8_t a4[] = {0, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 0, 0, 1};
    ck_assert_int_eq(read_first_rr(buf, message(buf, 0, 1, a4, sizeof(a4)), &rr), DNS_SECTION_ANSWER);
    const uint8_t aaaa4[] = {0, 0, 28, 0, 1, 0, 0, 0, 60, 0, 4, 10, 0, 0, 1};
    ck_assert_int_eq(read_first_rr(buf, message(buf, 0, 1, aaaa4, sizeof(aaaa4)), &rr), -EBADMSG);
    /* CNAME whose name ("b", 3 bytes) is shorter than its rdlength of 4 */
    const uint8_t cname[] = {0, 0, 5, 0, 1, 0, 0, 0, 60, 0, 4, 1, 'b', 0, 0};
    ck_assert_int_eq(read_first_rr(buf, message(buf, 0, 1, cname, sizeof(cname)), &rr), -EBADMSG);
    /* CNAME whose name runs past an rdlength of 2 */
    const uint8_t cname2[] = {0, 0, 5, 0, 1, 0, 0, 0, 60, 0, 2, 1, 'b', 0};
    ck_assert_int_eq(read_first_rr(buf, message(buf, 0, 1, cname2, sizeof(cname2)), &rr), -EBADMSG);
    /* SOA with 19 bytes of numbers */
    uint8_t soa[64] = {0, 0, 6, 0, 1, 0, 0, 0, 60, 0, 21, 0, 0};
    ck_assert_int_eq(read_first_rr(buf, message(buf, 0, 1, soa, 11 + 21), &rr), -EBADMSG);
    soa[10] = 22;
    ck_assert_int_eq(read_first_rr(buf, message(buf, 0, 1, soa, 11 + 22), &rr), DNS_SECTION_ANSWER);
    /* TXT (RFC 1035 3.3.14): its character-strings fill the rdata exactly */
    const uint8_t txt[] = {0, 0, 16, 0, 1, 0, 0, 0, 60, 0, 3, 3, 'a', 'b'};
    ck_assert_int_eq(read_first_rr(buf, message(buf, 0, 1, txt, sizeof(txt)), &rr), -EBADMSG);
    const uint8_t txt0[] = {0, 0, 16, 0, 1, 0, 0, 0, 60, 0, 0};
    ck_assert_int_eq(read_first_rr(buf, message(buf, 0, 1, txt0, sizeof(txt0)), &rr), -EBADMSG);
}
END_TEST

START_TEST(truncated_records_refused)
{
    /* RFC 1035 4.1.3: every field of a record is inside the message; cut anywhere, it fails */
    uint8_t buf[128];
    const uint8_t rr_bytes[] = {1, 'a', 0, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 0, 0, 1};
    struct dns_rr rr;
    for (size_t cut = 0; cut < sizeof(rr_bytes); cut++) {
        /* an ANCOUNT of 0 with a cut record is fine; of 1 it must fail (or be refused at init) */
        int err = read_first_rr(buf, message(buf, 0, 1, rr_bytes, cut), &rr);
        ck_assert_int_eq(err, -EBADMSG);
    }
    ck_assert_int_eq(read_first_rr(buf, message(buf, 0, 1, rr_bytes, sizeof(rr_bytes)), &rr), DNS_SECTION_ANSWER);
    /* a question cut before its class */
    const uint8_t q[] = {1, 'a', 0, 0, 1, 0};
    ck_assert_int_eq(read_first_question(buf, message(buf, 1, 0, q, sizeof(q)), &(struct dns_question){0}), -EBADMSG);
}
END_TEST

START_TEST(oversized_raw_rdata_skipped_in_step)
{
    /* A well-formed TXT larger than DNS_RDATA_RAW_MAX is skipped (-E2BIG) and the next record
     * still reads: a big answer does not hide the small ones after it. */
    static uint8_t buf[4096];
    static uint8_t body[4000];
    size_t len = 0;
    size_t txt_len = 1200; /* > DNS_RDATA_RAW_MAX, whole strings of 200 */
    memcpy(body, (uint8_t[]){0, 0, 16, 0, 1, 0, 0, 0, 60, (uint8_t)(txt_len >> 8), (uint8_t)txt_len}, 11);
    len = 11;
    for (size_t i = 0; i < txt_len; i += 200) {
        body[len] = 199;
        memset(body + len + 1, 't', 199);
        len += 200;
    }
    const uint8_t a[] = {0, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 0, 0, 7};
    memcpy(body + len, a, sizeof(a));
    len += sizeof(a);
    struct dns_reader r;
    struct dns_rr rr;
    ck_assert_int_eq(dns_reader_init(&r, buf, message(buf, 0, 2, body, len), NULL), 0);
    ck_assert_int_eq(dns_read_rr(&r, &rr), -E2BIG);
    ck_assert_int_eq(dns_read_rr(&r, &rr), DNS_SECTION_ANSWER);
    ck_assert_int_eq(rr.rd.a[3], 7);
}
END_TEST

START_TEST(sections_in_order)
{
    /* RFC 1035 4.1: answer, authority, additional, each its count of records */
    uint8_t buf[512];
    struct dns_writer w;
    dns_writer_init(&w, buf, sizeof(buf));
    struct dns_header h = {.qdcount = 0, .ancount = 1, .nscount = 2, .arcount = 1};
    dns_write_header(&w, &h);
    for (int i = 0; i < 4; i++) {
        struct dns_rr rr = rr_a("x.example", 1, (uint8_t)i);
        ck_assert_int_eq(dns_write_rr(&w, &rr), 0);
    }
    struct dns_reader r;
    struct dns_rr rr;
    ck_assert_int_eq(dns_reader_init(&r, buf, dns_writer_len(&w), NULL), 0);
    ck_assert_int_eq(dns_read_rr(&r, &rr), DNS_SECTION_ANSWER);
    ck_assert_int_eq(dns_read_rr(&r, &rr), DNS_SECTION_AUTHORITY);
    ck_assert_int_eq(dns_read_rr(&r, &rr), DNS_SECTION_AUTHORITY);
    ck_assert_int_eq(dns_read_rr(&r, &rr), DNS_SECTION_ADDITIONAL);
    ck_assert_int_eq(rr.rd.a[3], 3);
    ck_assert_int_eq(dns_read_rr(&r, &rr), -ENOENT);
}
END_TEST

START_TEST(ttl_with_top_bit_reads_as_zero)
{
    /* RFC 2181 8: a TTL with the most significant bit set is treated as zero */
    uint8_t buf[64];
    const uint8_t big[] = {0, 0, 1, 0, 1, 0x80, 0, 0, 1, 0, 4, 10, 0, 0, 1};
    struct dns_rr rr;
    ck_assert_int_eq(read_first_rr(buf, message(buf, 0, 1, big, sizeof(big)), &rr), DNS_SECTION_ANSWER);
    ck_assert_uint_eq(rr.ttl, 0);
}
END_TEST

START_TEST(opt_record)
{
    /* RFC 6891 6.1.2/6.1.3: root owner, CLASS = UDP payload size, TTL = ext-rcode, version,
     * DO; 6.2.3: a size below 512 is read as 512; options fill the rdata exactly */
    uint8_t buf[128];
    struct dns_writer w;
    dns_writer_init(&w, buf, sizeof(buf));
    struct dns_header h = {.arcount = 1};
    dns_write_header(&w, &h);
    struct dns_edns e = {.udp_size = 1232, .ext_rcode = 1, .version = 0, .dnssec_ok = true};
    ck_assert_int_eq(dns_write_opt(&w, &e), 0);
    ck_assert_uint_eq(dns_writer_len(&w), 12 + 11);
    ck_assert_mem_eq(buf + 12, "\0\0\x29\x04\xd0\x01\0\x80\0\0\0", 11);
    struct dns_rr rr;
    ck_assert_int_eq(read_first_rr(buf, dns_writer_len(&w), &rr), DNS_SECTION_ADDITIONAL);
    struct dns_edns got;
    ck_assert_int_eq(dns_edns_from_rr(&rr, &got), 0);
    ck_assert_int_eq(got.udp_size, 1232);
    ck_assert_int_eq(got.ext_rcode, 1);
    ck_assert(got.dnssec_ok);
    ck_assert_uint_eq(dns_rcode_full(DNS_FLAGS_MAKE(0, 0), &got), DNS_RCODE_BADVERS);
    /* small size */
    rr.rclass = 100;
    ck_assert_int_eq(dns_edns_from_rr(&rr, &got), 0);
    ck_assert_int_eq(got.udp_size, 512);
    /* an option (cookie, code 10, 8 bytes) parses; one overrunning the rdata does not */
    rr.rd.raw.len = 12;
    memcpy(rr.rd.raw.data, "\0\x0a\0\x08" "abcdefgh", 12);
    ck_assert_int_eq(dns_edns_from_rr(&rr, &got), 0);
    rr.rd.raw.data[3] = 9;
    ck_assert_int_eq(dns_edns_from_rr(&rr, &got), -EBADMSG);
    rr.rd.raw.len = 3;
    ck_assert_int_eq(dns_edns_from_rr(&rr, &got), -EBADMSG);
    /* the owner must be the root */
    rr.rd.raw.len = 0;
    rr.name = name_of("example");
    ck_assert_int_eq(dns_edns_from_rr(&rr, &got), -EBADMSG);
}
END_TEST

static Suite *dns_wire_suite(void)
{
    Suite *s = suite_create("dns_wire");
    TCase *tc = tcase_create("codec");
    tcase_add_test(tc, round_trip_of_every_type);
    tcase_add_test(tc, records_in_wire_form_write_as_decoded_ones);
    tcase_add_test(tc, compression_shrinks_repeated_names);
    tcase_add_test(tc, srv_target_is_never_compressed);
    tcase_add_test(tc, enospc_rolls_back_the_record);
    tcase_add_test(tc, pointer_loop_refused);
    tcase_add_test(tc, forward_pointer_refused);
    tcase_add_test(tc, reserved_label_types_refused);
    tcase_add_test(tc, wire_name_over_255_refused);
    tcase_add_test(tc, wire_label_over_63_refused);
    tcase_add_test(tc, counts_beyond_the_message_refused);
    tcase_add_test(tc, rdlength_mismatch_refused);
    tcase_add_test(tc, truncated_records_refused);
    tcase_add_test(tc, oversized_raw_rdata_skipped_in_step);
    tcase_add_test(tc, sections_in_order);
    tcase_add_test(tc, ttl_with_top_bit_reads_as_zero);
    tcase_add_test(tc, opt_record);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(dns_wire_suite)
