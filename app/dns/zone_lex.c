/*
 * app/dns/zone_lex: the master file's tokenizer (RFC 1035 5.1): blanks separate words, ';' starts
 * a comment to the end of the line, '(' and ')' join lines into one entry, '"' quotes a
 * character-string, '\\' escapes the next character. zone_lex.h says what a token is.
 */
#include "zone_lex.h"
#include "lib/ctype.h"
#include "lib/errno.h"
#include "lib/string.h"

int zone_error_at(struct parser *ps, unsigned line, const char *fmt, ...)
{
    int n = ksnprintf(ps->err, ps->err_size, "%s:%u: ", ps->file, line);
    if (n >= 0 && (size_t)n < ps->err_size) {
        va_list ap;
        va_start(ap, fmt);
        kvsnprintf(ps->err + n, ps->err_size - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return -EINVAL;
}

int zone_shown(const struct token *t)
{
    return t->len > ZONE_SHOWN ? ZONE_SHOWN : (int)t->len;
}

int zone_bad_token(struct parser *ps, const struct token *t, const char *what)
{
    return zone_error_at(ps, t->line, "%s '%.*s'", what, zone_shown(t), t->s);
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

static bool is_control(char c)
{
    return ((unsigned char)c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f;
}

int zone_lex(struct parser *ps, struct token *t)
{
    bool blank = false;
    for (;;) {
        if (ps->p >= ps->end) {
            if (ps->paren > 0)
                return zone_error_at(ps, ps->paren_line, "'(' is never closed");
            *t = (struct token){ .kind = TOK_EOF, .line = ps->line };
            return 0;
        }
        char c = *ps->p;
        if (is_blank(c)) {
            blank = true;
            ps->p++;
        } else if (c == ';') {
            while (ps->p < ps->end && *ps->p != '\n')
                ps->p++;
        } else if (c == '\n') {
            ps->p++;
            ps->line++;
            if (ps->paren > 0)
                continue;
            ps->at_line_start = true;
            *t = (struct token){ .kind = TOK_EOL, .line = ps->line - 1 };
            return 0;
        } else if (c == '(') {
            if (ps->paren++ == 0)
                ps->paren_line = ps->line;
            ps->p++;
        } else if (c == ')') {
            if (ps->paren == 0)
                return zone_error_at(ps, ps->line, "')' without '('");
            ps->paren--;
            ps->p++;
        } else if (is_control(c)) {
            return zone_error_at(ps, ps->line, "control character 0x%02x", (unsigned char)c);
        } else {
            break;
        }
    }
    *t = (struct token){ .kind = TOK_WORD, .line = ps->line, .line_start = ps->at_line_start,
                         .blank_start = ps->at_line_start && blank };
    ps->at_line_start = false;
    if (*ps->p == '"') {
        const char *start = ++ps->p;
        while (ps->p < ps->end && *ps->p != '"') {
            if (*ps->p == '\n' || is_control(*ps->p))
                return zone_error_at(ps, ps->line, "unterminated quoted string");
            ps->p += *ps->p == '\\' && ps->p + 1 < ps->end ? 2 : 1;
        }
        if (ps->p >= ps->end)
            return zone_error_at(ps, ps->line, "unterminated quoted string");
        t->kind = TOK_QUOTED;
        t->s = start;
        t->len = (size_t)(ps->p - start);
        ps->p++;
        return 0;
    }
    const char *start = ps->p;
    while (ps->p < ps->end) {
        char c = *ps->p;
        if (is_blank(c) || c == '\n' || c == ';' || c == '(' || c == ')' || c == '"')
            break;
        if (is_control(c))
            return zone_error_at(ps, ps->line, "control character 0x%02x", (unsigned char)c);
        ps->p += c == '\\' && ps->p + 1 < ps->end && ps->p[1] != '\n' ? 2 : 1;
    }
    t->s = start;
    t->len = (size_t)(ps->p - start);
    return 0;
}

bool zone_word_is(const struct token *t, const char *w)
{
    size_t n = strlen(w);
    if (t->kind != TOK_WORD || t->len != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (toupper((unsigned char)t->s[i]) != w[i])
            return false;
    return true;
}
