/*
 * app/dns/zone_lex: the master file's tokens (RFC 1035 5.1) and the parser's state, shared by the
 * tokenizer (zone_lex.c) and the entry parser (zone_parse.c). Internal to the zone module.
 */
#ifndef DNSAPP_ZONE_LEX_H
#define DNSAPP_ZONE_LEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "zone.h"
#include "lib/printf.h"

#define ZONE_SHOWN 64                   /* bytes of a bad token quoted in a message */

enum token_kind { TOK_WORD, TOK_QUOTED, TOK_EOL, TOK_EOF };

struct token {
    enum token_kind kind;
    const char *s;                      /* quoted: without the quotes */
    size_t len;
    unsigned line;
    bool line_start;                    /* first token of a line (outside parentheses) */
    bool blank_start;                   /* ... and the line began with a blank */
};

struct parser {
    const char *file;
    const char *p, *end;
    unsigned line;
    int paren;
    unsigned paren_line;
    bool at_line_start;
    char *err;
    size_t err_size;

    struct dns_name origin;
    struct dns_name owner;
    bool have_owner;
    uint32_t dollar_ttl, last_ttl;
    bool have_dollar_ttl, have_last_ttl;

    struct zone *z;
    size_t rrs_cap, names_cap, data_cap;
    bool have_last_name;
    uint32_t last_name;                 /* offset of the last owner stored in z->names */
};

/* Formats "file:line: what" into the parser's error buffer; returns -EINVAL. */
int zone_error_at(struct parser *ps, unsigned line, const char *fmt, ...) PRINTF_LIKE(3, 4);
/* How many bytes of t a message quotes (at most ZONE_SHOWN). */
int zone_shown(const struct token *t);
/* zone_error_at for token t: "file:line: what 'token'" (the token quoted as zone_shown says). */
int zone_bad_token(struct parser *ps, const struct token *t, const char *what);
/* The next token: a word, a quoted string (without its quotes), the end of a line outside
 * parentheses, or the end of the text. Parentheses and comments are consumed here. Returns 0 or
 * -EINVAL (error set: an unclosed '(' or quote, a stray ')', a control character). */
int zone_lex(struct parser *ps, struct token *t);
/* t is the word w, ASCII case ignored (w in upper case). */
bool zone_word_is(const struct token *t, const char *w);

#endif
