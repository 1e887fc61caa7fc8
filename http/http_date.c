/*
 * http/http_date: HTTP-date (RFC 9110 5.6.7). Sent as IMF-fixdate; received in any of the three
 * formats recipients must accept. Calendar arithmetic is lib/calendar's (days since 1970-01-01).
 */
#include "lib/calendar.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "http/http.h"

/* Names packed three letters each (the weekdays from Thursday, 1970-01-01's), or NUL-ended. */
static const char day_names[] = "ThuFriSatSunMonTueWed";
static const char month_names[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
static const char long_day_names[] =
    "Thursday\0Friday\0Saturday\0Sunday\0Monday\0Tuesday\0Wednesday";

static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

static void put2(char *p, unsigned v)
{
    p[0] = (char)('0' + v / 10 % 10);
    p[1] = (char)('0' + v % 10);
}

void http_format_date(int64_t seconds, char *out)
{
    int64_t days = floor_div(seconds, 86400);
    unsigned secs = (unsigned)(seconds - days * 86400);
    int64_t y = 0;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    if (y < 0 || y > 9999) {         /* outside what the format can say: clamp to its range */
        http_format_date(y < 0 ? -62167219200 : 253402300799, out);
        return;
    }
    unsigned wd = (unsigned)(((days % 7) + 7) % 7);
    memcpy(out, day_names + 3 * wd, 3);
    memcpy(out + 3, ", ", 2);
    put2(out + 5, d);
    out[7] = ' ';
    memcpy(out + 8, month_names + 3 * (m - 1), 3);
    out[11] = ' ';
    put2(out + 12, (unsigned)(y / 100));
    put2(out + 14, (unsigned)(y % 100));
    out[16] = ' ';
    put2(out + 17, secs / 3600);
    out[19] = ':';
    put2(out + 20, secs / 60 % 60);
    out[22] = ':';
    put2(out + 23, secs % 60);
    memcpy(out + 25, " GMT", 4);
    out[HTTP_DATE_LEN] = '\0';
}

/* The three formats recipients must accept (RFC 9110 5.6.7), in a small pattern language: w a
 * weekday name, l a long one, n a month name; d, y, h, i, s a digit of the day, year, hour,
 * minute, second; _ a space or the day's first digit; anything else stands for itself.
 *   IMF-fixdate    "Sun, 06 Nov 1994 08:49:37 GMT"
 *   rfc850-date    "Sunday, 06-Nov-94 08:49:37 GMT"
 *   asctime-date   "Sun Nov  6 08:49:37 1994" (the day padded with a space) */
static const char formats[] =
    "w, dd n yyyy hh:ii:ss GMT\0l, dd-n-yy hh:ii:ss GMT\0w n _d hh:ii:ss yyyy\0";

/* Which of `count` names (each `width` letters, or NUL-ended when width is 0) the text at *p
 * starts with (taking it), or -1. */
static int take_name(const char **p, const char *end, const char *names, unsigned count,
                     size_t width)
{
    for (unsigned i = 0; i < count; i++) {
        size_t n = width ? width : strlen(names);
        if ((size_t)(end - *p) >= n && memcmp(*p, names, n) == 0) {
            *p += n;
            return (int)i;
        }
        names += width ? width : n + 1;
    }
    return -1;
}

/* Matches the whole text against one format: v[] gets day, year, hour, minute, second (from
 * "dyhis") and the month; *year_digits how many digits the year had. */
static bool match_format(const char *f, const char *p, const char *end, unsigned v[6],
                         unsigned *year_digits)
{
    for (; *f; f++) {
        char k = *f;
        if (k == '_') {
            if (p < end && *p == ' ') {
                p++;
                continue;
            }
            k = 'd';
        }
        const char *digit = strchr("dyhis", k);
        if (digit) {
            if (p == end || *p < '0' || *p > '9')
                return false;
            v[digit - "dyhis"] = v[digit - "dyhis"] * 10 + (unsigned)(*p++ - '0');
            *year_digits += k == 'y';
        } else if (k == 'w' || k == 'l') {
            if (take_name(&p, end, k == 'w' ? day_names : long_day_names, 7, k == 'w' ? 3 : 0) < 0)
                return false;
        } else if (k == 'n') {
            int m = take_name(&p, end, month_names, 12, 3);
            if (m < 0)
                return false;
            v[5] = (unsigned)m + 1;
        } else if (p == end || *p++ != k) {
            return false;
        }
    }
    return p == end;
}

static bool days_in_month_ok(int64_t y, unsigned m, unsigned d)
{
    static const unsigned char len[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    if (m < 1 || m > 12 || d < 1 || d > len[m - 1])
        return false;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return !(m == 2 && d == 29 && !leap);
}

int http_parse_date(struct http_str s, int64_t now_seconds, int64_t *out)
{
    for (const char *f = formats; *f; f += strlen(f) + 1) {
        unsigned v[6] = { 0 }, year_digits = 0;
        if (!match_format(f, s.ptr, s.ptr + s.len, v, &year_digits))
            continue;
        unsigned d = v[0], h = v[2], mi = v[3], sec = v[4], m = v[5];
        int64_t y = v[1];
        if (year_digits == 2) {
            /* RFC 9110 5.6.7: a two-digit year more than 50 years in the future is the most
             * recent past year with those digits. */
            int64_t now_y;
            unsigned nm, nd;
            civil_from_days(floor_div(now_seconds, 86400), &now_y, &nm, &nd);
            y += floor_div(now_y, 100) * 100;
            if (y > now_y + 50)
                y -= 100;
        }
        /* The weekday is not checked against the date: RFC 9110 only asks for the syntax. Leap
         * seconds (":60") are accepted as the next second. */
        if (h > 23 || mi > 59 || sec > 60 || !days_in_month_ok(y, m, d))
            return -EINVAL;
        *out = days_from_civil(y, m, d) * 86400 + h * 3600 + mi * 60 + sec;
        return 0;
    }
    return -EINVAL;
}
