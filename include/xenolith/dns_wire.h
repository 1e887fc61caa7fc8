/*
 * xenolith/dns_wire.h: the DNS message codec (RFC 1035 4, EDNS(0) of RFC 6891), pure and
 * portable: no I/O, no allocation, no clock. A resolver or a server reads a message with a
 * struct dns_reader and builds one with a struct dns_writer; the bytes move elsewhere.
 *
 *   struct dns_name       a domain name in uncompressed wire form (labels, then the root 0)
 *   dns_name_*            text <-> wire, case-insensitive comparison (RFC 4343), zone membership
 *   dns_reader_*          header, questions, resource records in section order; decompression of
 *                         names is bounded and loop-proof (see below)
 *   dns_writer_*          header, questions, records, with name compression (RFC 1035 4.1.4)
 *   dns_edns_*            the OPT pseudo-record: UDP payload size, version, DO bit, extended rcode
 *
 * What the reader refuses (-EBADMSG), and why:
 *   - a message shorter than the 12-byte header (RFC 1035 4.1.1), or whose counts promise more
 *     entries than its bytes can hold (a question takes at least 5 bytes, a record 11);
 *   - a label longer than 63 bytes or a name longer than 255 bytes counting length bytes and the
 *     root (RFC 1035 2.3.4, 3.1), a label type other than 00 or 11 (RFC 6891 5: 01 and 10 are
 *     not in use);
 *   - a compression pointer that does not point strictly before the bytes it continues (so every
 *     pointer moves backwards and a chain ends: no loops, no forward pointers) or into the header;
 *   - anything running past the end of the message: a truncated name, fixed fields or rdata;
 *   - rdata whose contents do not fill its rdlength exactly (A not 4 bytes, AAAA not 16, a name
 *     or SOA fields ending before or after it, TXT character-strings overrunning it).
 * A record well-formed but whose rdata does not fit DNS_RDATA_RAW_MAX is skipped with -E2BIG;
 * the reader stays in step and the next record can be read.
 *
 * Names keep the case they had on the wire (RFC 4343 4.1 asks that case be preserved) and are
 * compared without regard to ASCII case.
 *
 * Part of the dns library (dns/; an application links it with APP_LIBS += dns). Every function
 * here is pure: any context may call it. Errors are negative errno values (lib/errno.h).
 */
#ifndef XENOLITH_PUBLIC_DNS_WIRE_H
#define XENOLITH_PUBLIC_DNS_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DNS_HEADER_LEN 12
#define DNS_LABEL_MAX 63          /* RFC 1035 2.3.4 */
#define DNS_NAME_MAX 255          /* wire bytes, length bytes and the root included */
#define DNS_TEXT_MAX 1024         /* dns_name_to_text output with \DDD escapes, plus NUL */
#define DNS_UDP_MAX 512           /* RFC 1035 2.3.4: UDP messages without EDNS(0) */
#define DNS_RDATA_RAW_MAX 1024    /* TXT, OPT and unknown rdata kept by the reader */
#define DNS_COMPRESS_MAX 64       /* name suffixes a writer remembers for compression */
#define DNS_PORT 53

enum dns_type {
    DNS_TYPE_A = 1,
    DNS_TYPE_NS = 2,
    DNS_TYPE_CNAME = 5,
    DNS_TYPE_SOA = 6,
    DNS_TYPE_PTR = 12,
    DNS_TYPE_MX = 15,
    DNS_TYPE_TXT = 16,
    DNS_TYPE_AAAA = 28,
    DNS_TYPE_SRV = 33,
    DNS_TYPE_OPT = 41,
    DNS_TYPE_ANY = 255,
};
#define DNS_CLASS_IN 1
#define DNS_CLASS_ANY 255

enum dns_rcode {
    DNS_RCODE_NOERROR = 0,
    DNS_RCODE_FORMERR = 1,
    DNS_RCODE_SERVFAIL = 2,
    DNS_RCODE_NXDOMAIN = 3,
    DNS_RCODE_NOTIMP = 4,
    DNS_RCODE_REFUSED = 5,
    DNS_RCODE_BADVERS = 16, /* extended (RFC 6891 9): needs the OPT record's upper bits */
};

/* The flags word of the header (RFC 1035 4.1.1, RFC 4035 3.2 for AD and CD). */
#define DNS_FLAG_QR 0x8000u
#define DNS_FLAG_AA 0x0400u
#define DNS_FLAG_TC 0x0200u
#define DNS_FLAG_RD 0x0100u
#define DNS_FLAG_RA 0x0080u
#define DNS_FLAG_AD 0x0020u
#define DNS_FLAG_CD 0x0010u
#define DNS_OPCODE_QUERY 0
#define DNS_FLAGS_OPCODE(flags) (((flags) >> 11) & 0xfu)
#define DNS_FLAGS_RCODE(flags) ((flags) & 0xfu)
#define DNS_FLAGS_MAKE(opcode, rcode) ((uint16_t)((((opcode) & 0xfu) << 11) | ((rcode) & 0xfu)))

/* A name in uncompressed wire form: length-prefixed labels ending with the root's 0 byte.
 * len counts every byte (1 for the root name alone). */
struct dns_name {
    uint8_t len;
    uint8_t wire[DNS_NAME_MAX];
};

/* Text "www.example.com", "www.example.com." or "." (the root) to wire form. Within a label,
 * "\." and "\\" stand for the character and "\DDD" for the byte of that decimal value (RFC 1035
 * 5.1). Returns 0, or -EINVAL for an empty label, a label over 63 bytes, a name over 255, a bad
 * escape or an empty text. */
int dns_name_from_text(struct dns_name *n, const char *text, size_t len);
/* One character of a name's label or a character-string in master-file text (RFC 1035 5.1):
 * "\X" is X, "\DDD" the byte of that decimal value, anything else itself; left >= 1 bytes
 * remain. Stores the byte; returns the characters consumed, or -EINVAL for a bad escape. */
int dns_text_unescape(const char *text, size_t left, uint8_t *out);
/* Wire to text without the final dot ("." for the root); '.', '\\' and bytes outside printable
 * ASCII inside labels are escaped as above. Writes a NUL-terminated string; returns its length,
 * or -ENOSPC when cap is too small (DNS_TEXT_MAX always suffices). */
int dns_name_to_text(const struct dns_name *n, char *buf, size_t cap);
/* Equal names, ASCII case ignored (RFC 4343 3). */
bool dns_name_equal(const struct dns_name *a, const struct dns_name *b);
/* name is zone or a name below it (its labels end with zone's), case ignored. */
bool dns_name_is_under(const struct dns_name *name, const struct dns_name *zone);
/* Labels before the root (0 for the root). */
int dns_name_labels(const struct dns_name *n);
/* The root name (a single 0 byte). */
void dns_name_root(struct dns_name *n);

/* Header fields in host order. */
struct dns_header {
    uint16_t id, flags, qdcount, ancount, nscount, arcount;
};

struct dns_question {
    struct dns_name name;
    uint16_t type, qclass;
};

/* A resource record. The rdata of the known types is decoded; TXT (its length-prefixed
 * character-strings as on the wire), OPT (its options) and every other type keep raw bytes. */
struct dns_rr {
    struct dns_name name;
    uint16_t type, rclass;
    uint32_t ttl;
    union {
        uint8_t a[4];
        uint8_t aaaa[16];
        struct dns_name target; /* NS, CNAME, PTR */
        struct {
            uint16_t preference;
            struct dns_name exchange;
        } mx;
        struct {
            struct dns_name mname, rname;
            uint32_t serial, refresh, retry, expire, minimum;
        } soa;
        struct {
            uint16_t priority, weight, port;
            struct dns_name target;
        } srv;
        struct {
            uint16_t len;
            uint8_t data[DNS_RDATA_RAW_MAX];
        } raw;
    } rd;
};

/* Sections, as dns_read_rr reports them. */
enum dns_section {
    DNS_SECTION_ANSWER = 1,
    DNS_SECTION_AUTHORITY = 2,
    DNS_SECTION_ADDITIONAL = 3,
};

/* Reads one message in place (the caller keeps msg alive while reading). */
struct dns_reader {
    const uint8_t *msg;
    size_t len;
    size_t pos;
    uint16_t left[4]; /* entries not yet read: questions, answers, authority, additional */
};

/* Checks and decodes the header into *h (may be NULL). Returns 0 or -EBADMSG (short message,
 * counts that cannot fit). */
int dns_reader_init(struct dns_reader *r, const uint8_t *msg, size_t len, struct dns_header *h);
/* The next question: 0, -ENOENT when every question has been read, -EBADMSG. */
int dns_read_question(struct dns_reader *r, struct dns_question *q);
/* The next resource record (questions not yet read are skipped first): its section
 * (enum dns_section), -ENOENT after the last record, -E2BIG for a record skipped because its
 * rdata exceeds DNS_RDATA_RAW_MAX (reading may go on), -EBADMSG for a malformed message (reading
 * must stop). */
int dns_read_rr(struct dns_reader *r, struct dns_rr *rr);
/* The offset of the first byte not yet read (after the last record: where the message's
 * trailing bytes, if any, begin; RFC 1035 does not forbid them, a caller may refuse them). */
size_t dns_reader_offset(const struct dns_reader *r);

/* Builds one message in the caller's buffer. Names are compressed against the names already
 * written (owner names, the question, and the names inside NS, CNAME, PTR, MX and SOA rdata;
 * never the SRV target, RFC 2782, nor names in unknown types, RFC 3597 4). Suffixes match
 * without regard to case, so a compressed name reads back in the case of the earlier one. */
struct dns_writer {
    uint8_t *buf;
    size_t cap;
    size_t len;
    unsigned nnames;
    uint16_t names[DNS_COMPRESS_MAX]; /* offsets of name suffixes written in full */
};

void dns_writer_init(struct dns_writer *w, uint8_t *buf, size_t cap);
/* Writes the 12-byte header at the start of the buffer (the counts may be fixed later with
 * dns_writer_set_counts). Returns 0 or -ENOSPC. */
int dns_write_header(struct dns_writer *w, const struct dns_header *h);
/* Appends a question or a record. Returns 0, -ENOSPC when it does not fit (the writer is left as
 * before the call, so the caller can set TC and stop), -EINVAL for a record the codec cannot
 * encode (raw rdata over DNS_RDATA_RAW_MAX, a malformed name). */
int dns_write_question(struct dns_writer *w, const struct dns_question *q);
int dns_write_rr(struct dns_writer *w, const struct dns_rr *rr);
/* The rdata of a type in uncompressed wire form (RFC 1035 3.3), one character per field: 'n' a
 * name a writer compresses, 'N' one it never does (the SRV target, RFC 2782), '2' and '4' 16- and
 * 32-bit numbers, 'a' the 4 bytes of A, 'A' the 16 of AAAA, 's' one or more character-strings
 * to the end (TXT). NULL for a type the codec does not know: its rdata is opaque (RFC 3597). */
const char *dns_rdata_layout(uint16_t type);
/* Appends a record given in wire form: the owner's uncompressed wire name, and rdata[rdlen] laid
 * out as dns_rdata_layout says, its names compressed where the layout allows. Returns as
 * dns_write_rr (-EINVAL also for rdata not following the layout). */
int dns_write_rr_wire(struct dns_writer *w, const uint8_t *owner, uint16_t type, uint16_t rclass,
                      uint32_t ttl, const uint8_t *rdata, size_t rdlen);
size_t dns_writer_len(const struct dns_writer *w);
/* Rewrites the four counts of the header already written. */
void dns_writer_set_counts(struct dns_writer *w, uint16_t qd, uint16_t an, uint16_t ns, uint16_t ar);
/* Rewrites the flags word of the header already written (setting TC after -ENOSPC). */
void dns_writer_set_flags(struct dns_writer *w, uint16_t flags);

/* EDNS(0) (RFC 6891 6.1): what an OPT record says. */
struct dns_edns {
    uint16_t udp_size;  /* the requestor's UDP payload size; below 512 read as 512 (6.2.3) */
    uint8_t ext_rcode;  /* upper 8 bits of the 12-bit rcode (6.1.3) */
    uint8_t version;    /* 0; another version earns BADVERS from a server (6.1.3) */
    bool dnssec_ok;     /* the DO bit (RFC 3225) */
};
/* Appends an OPT record without options. Returns as dns_write_rr. */
int dns_write_opt(struct dns_writer *w, const struct dns_edns *e);
/* Decodes an OPT record read by dns_read_rr: 0, or -EBADMSG when its owner is not the root or its
 * options overrun the rdata (RFC 6891 6.1.2). A message with two OPT records is the caller's
 * FORMERR (6.1.1). */
int dns_edns_from_rr(const struct dns_rr *rr, struct dns_edns *e);
/* The full 12-bit rcode of a response: the header's 4 bits and the OPT record's 8 (6.1.3). */
static inline unsigned dns_rcode_full(uint16_t flags, const struct dns_edns *e)
{
    return DNS_FLAGS_RCODE(flags) | (e ? (unsigned)e->ext_rcode << 4 : 0u);
}

#endif
