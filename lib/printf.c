/*
 * lib/printf: the formatted printer of every platform (see lib/printf.h). One formatter,
 * kvformat, produces chunks for a sink; ksnprintf fills a buffer, kprintf collects a whole
 * call in a stack buffer so that one line reaches the console as one write.
 * Width and precision are capped at PRINTF_FIELD_MAX: nothing legitimate needs more, and a
 * runaway '*' argument must not spin for minutes producing padding.
 */
#include <stdbool.h>
#include <stdint.h>
#include "lib/printf.h"
#include "lib/string.h"
#include "platform/platform.h"

#define PRINTF_FIELD_MAX 4096

struct output {
    print_sink sink;
    void *ctx;
    size_t total;
};

struct spec {
    bool left, plus, space, zero, alt, upper;
    int width;
    int precision; /* -1: none */
    unsigned base;
};

static void emit(struct output *o, const char *s, size_t n)
{
    if (n) {
        o->sink(o->ctx, s, n);
        o->total += n;
    }
}

static void emit_repeat(struct output *o, char c, size_t n)
{
    char block[32];
    memset(block, c, sizeof(block));
    while (n) {
        size_t k = n < sizeof(block) ? n : sizeof(block);
        emit(o, block, k);
        n -= k;
    }
}

/* Emits body[len] padded to the field width (strings, characters, addresses). */
static void emit_field(struct output *o, const struct spec *sp, const char *body, size_t len)
{
    size_t pad = (size_t)sp->width > len ? (size_t)sp->width - len : 0;
    if (!sp->left)
        emit_repeat(o, ' ', pad);
    emit(o, body, len);
    if (sp->left)
        emit_repeat(o, ' ', pad);
}

static void emit_integer(struct output *o, const struct spec *sp, unsigned long long v, bool negative,
                         bool is_signed)
{
    const char *set = sp->upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char digits[24]; /* 22 octal digits for 2^64, filled from the end */
    size_t first = sizeof(digits);
    bool nonzero = v != 0;
    if (!(v == 0 && sp->precision == 0)) {
        do {
            digits[--first] = set[v % sp->base];
            v /= sp->base;
        } while (v);
    }
    size_t nd = sizeof(digits) - first;

    size_t zeros = sp->precision > 0 && (size_t)sp->precision > nd ? (size_t)sp->precision - nd : 0;
    /* '#' with octal: the first digit must be 0. */
    if (sp->alt && sp->base == 8 && zeros == 0 && (nd == 0 || digits[first] != '0'))
        zeros = 1;

    char prefix[2];
    size_t np = 0;
    if (is_signed && negative)
        prefix[np++] = '-';
    else if (is_signed && sp->plus)
        prefix[np++] = '+';
    else if (is_signed && sp->space)
        prefix[np++] = ' ';
    else if (sp->alt && sp->base == 16 && nonzero) {
        prefix[np++] = '0';
        prefix[np++] = sp->upper ? 'X' : 'x';
    }

    size_t len = np + zeros + nd;
    size_t pad = (size_t)sp->width > len ? (size_t)sp->width - len : 0;
    if (sp->zero && !sp->left && sp->precision < 0) {
        zeros += pad;
        pad = 0;
    }
    if (!sp->left)
        emit_repeat(o, ' ', pad);
    emit(o, prefix, np);
    emit_repeat(o, '0', zeros);
    emit(o, digits + first, nd);
    if (sp->left)
        emit_repeat(o, ' ', pad);
}

static void emit_ipv4(struct output *o, const struct spec *sp, const uint8_t *a)
{
    char text[16];
    size_t n = 0;
    for (int i = 0; i < 4; i++) {
        unsigned v = a[i];
        if (i)
            text[n++] = '.';
        if (v >= 100)
            text[n++] = (char)('0' + v / 100);
        if (v >= 10)
            text[n++] = (char)('0' + v / 10 % 10);
        text[n++] = (char)('0' + v % 10);
    }
    emit_field(o, sp, text, n);
}

static void emit_mac(struct output *o, const struct spec *sp, const uint8_t *m)
{
    static const char hex[] = "0123456789abcdef";
    char text[17];
    for (int i = 0; i < 6; i++) {
        text[i * 3] = hex[m[i] >> 4];
        text[i * 3 + 1] = hex[m[i] & 15];
        if (i < 5)
            text[i * 3 + 2] = ':';
    }
    emit_field(o, sp, text, sizeof(text));
}

static void emit_string(struct output *o, const struct spec *sp, const char *s)
{
    if (!s)
        s = "(null)";
    /* With a precision, s need not be terminated: read no further than it. */
    size_t len = sp->precision >= 0 ? strnlen(s, (size_t)sp->precision) : strlen(s);
    emit_field(o, sp, s, len);
}

static int parse_field_number(const char **fmt)
{
    int v = 0;
    while (**fmt >= '0' && **fmt <= '9') {
        if (v <= PRINTF_FIELD_MAX)
            v = v * 10 + (**fmt - '0');
        (*fmt)++;
    }
    return v > PRINTF_FIELD_MAX ? PRINTF_FIELD_MAX : v;
}

enum length { LEN_INT, LEN_CHAR, LEN_SHORT, LEN_LONG };

/* hh, h, or one of the 64-bit lengths (l, ll, z, t, j: alike on LP64). */
static enum length parse_length(const char **fmt)
{
    const char *f = *fmt;
    enum length len = LEN_INT;
    if (*f == 'h') {
        len = *++f == 'h' ? (f++, LEN_CHAR) : LEN_SHORT;
    } else if (*f == 'l' || *f == 'z' || *f == 't' || *f == 'j') {
        if (*f++ == 'l' && *f == 'l')
            f++;
        len = LEN_LONG;
    }
    *fmt = f;
    return len;
}

/* The integer argument of a conversion, sign-extended for a signed one. The 64-bit lengths
 * (l, ll, z, t, j) are passed alike on LP64, as 64-bit integers: one fetch serves them all;
 * the int-sized ones are narrowed as the length says (hh, h). */
_Static_assert(sizeof(long) == 8 && sizeof(long long) == 8 && sizeof(size_t) == 8 &&
               sizeof(ptrdiff_t) == 8 && sizeof(intmax_t) == 8, "printf assumes LP64");
static unsigned long long fetch_integer(va_list *args, enum length len, bool is_signed)
{
    if (len >= LEN_LONG)
        return va_arg(*args, unsigned long long);
    unsigned v = va_arg(*args, unsigned);
    if (len == LEN_CHAR)
        return is_signed ? (unsigned long long)(signed char)v : (unsigned char)v;
    if (len == LEN_SHORT)
        return is_signed ? (unsigned long long)(short)v : (unsigned short)v;
    return is_signed ? (unsigned long long)(int)v : v;
}

int kvformat(print_sink sink, void *ctx, const char *fmt, va_list ap)
{
    struct output o = { sink, ctx, 0 };
    va_list args;
    va_copy(args, ap);

    while (*fmt) {
        const char *lit = fmt;
        while (*fmt && *fmt != '%')
            fmt++;
        emit(&o, lit, (size_t)(fmt - lit));
        if (!*fmt)
            break;

        const char *start = fmt++; /* at '%' */
        struct spec sp = { .width = 0, .precision = -1, .base = 10 };
        for (;; fmt++) {
            if (*fmt == '-') sp.left = true;
            else if (*fmt == '+') sp.plus = true;
            else if (*fmt == ' ') sp.space = true;
            else if (*fmt == '0') sp.zero = true;
            else if (*fmt == '#') sp.alt = true;
            else break;
        }
        if (*fmt == '*') {
            fmt++;
            int w = va_arg(args, int);
            if (w < 0) {
                sp.left = true;
                sp.width = w < -PRINTF_FIELD_MAX ? PRINTF_FIELD_MAX : -w;
            } else {
                sp.width = w > PRINTF_FIELD_MAX ? PRINTF_FIELD_MAX : w;
            }
        } else {
            sp.width = parse_field_number(&fmt);
        }
        if (*fmt == '.') {
            fmt++;
            if (*fmt == '*') {
                fmt++;
                int p = va_arg(args, int);
                sp.precision = p < 0 ? -1 : (p > PRINTF_FIELD_MAX ? PRINTF_FIELD_MAX : p);
            } else {
                sp.precision = parse_field_number(&fmt);
            }
        }
        enum length len = parse_length(&fmt);

        char conv = *fmt;
        if (conv)
            fmt++;
        switch (conv) {
        case 'd':
        case 'i':
        case 'u':
        case 'x':
        case 'X':
        case 'o': {
            bool is_signed = conv == 'd' || conv == 'i';
            unsigned long long v = fetch_integer(&args, len, is_signed);
            bool negative = is_signed && (long long)v < 0;
            sp.base = conv == 'o' ? 8 : conv == 'x' || conv == 'X' ? 16 : 10;
            sp.upper = conv == 'X';
            emit_integer(&o, &sp, negative ? 0ull - v : v, negative, is_signed);
            break;
        }
        case 'c': {
            char c = (char)va_arg(args, int);
            emit_field(&o, &sp, &c, 1);
            break;
        }
        case 's':
            emit_string(&o, &sp, va_arg(args, const char *));
            break;
        case 'p': {
            const void *p = va_arg(args, const void *);
            if (fmt[0] == 'I' && fmt[1] == '4') {
                fmt += 2;
                if (p)
                    emit_ipv4(&o, &sp, p);
                else
                    emit_string(&o, &sp, NULL);
            } else if (fmt[0] == 'M') {
                fmt++;
                if (p)
                    emit_mac(&o, &sp, p);
                else
                    emit_string(&o, &sp, NULL);
            } else if (!p) {
                emit_field(&o, &sp, "(nil)", 5);
            } else {
                sp.base = 16;
                sp.alt = true;
                emit_integer(&o, &sp, (uintptr_t)p, false, false);
            }
            break;
        }
        case '%':
            emit(&o, "%", 1);
            break;
        default:
            /* Unknown (or %n, deliberately unsupported): shown as written, consuming nothing. */
            emit(&o, start, (size_t)(fmt - start));
            break;
        }
    }
    va_end(args);
    return o.total > __INT_MAX__ ? __INT_MAX__ : (int)o.total;
}

struct buffer_sink {
    char *buf;
    size_t size; /* room for text, the terminator excluded */
    size_t used;
};

static void buffer_write(void *ctx, const char *chunk, size_t len)
{
    struct buffer_sink *b = ctx;
    size_t room = b->size - b->used;
    size_t n = len < room ? len : room;
    if (n == 0)
        return; /* also covers buf == NULL with size 0 */
    memcpy(b->buf + b->used, chunk, n);
    b->used += n;
}

int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct buffer_sink b = { buf, size ? size - 1 : 0, 0 };
    int n = kvformat(buffer_write, &b, fmt, ap);
    if (size)
        buf[b.used] = '\0';
    return n;
}

int ksnprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = kvsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

/* Console output is staged here and written when full or when the call ends. */
#define CONSOLE_CHUNK 512
struct console_sink {
    size_t used;
    char buf[CONSOLE_CHUNK];
};

static void console_flush(struct console_sink *c)
{
    if (c->used)
        platform_console_write(c->buf, c->used);
    c->used = 0;
}

static void console_write(void *ctx, const char *chunk, size_t len)
{
    struct console_sink *c = ctx;
    while (len) {
        if (c->used == CONSOLE_CHUNK)
            console_flush(c);
        size_t room = CONSOLE_CHUNK - c->used;
        size_t n = len < room ? len : room;
        memcpy(c->buf + c->used, chunk, n);
        c->used += n;
        chunk += n;
        len -= n;
    }
}

int kvprintf(const char *fmt, va_list ap)
{
    struct console_sink c;
    c.used = 0;
    int n = kvformat(console_write, &c, fmt, ap);
    console_flush(&c);
    return n;
}

int kprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = kvprintf(fmt, ap);
    va_end(ap);
    return n;
}
