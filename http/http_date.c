/*
 * net/http_date: HTTP-date (RFC 9110 5.6.7). Sent as IMF-fixdate; received in any of the three
 * formats recipients must accept. Calendar arithmetic is the proleptic Gregorian calendar on
 * days since 1970-01-01, so no table of months by year is needed.
 */
#include "lib/errno.h"
#include "lib/string.h"
#include "http/http.h"

static const char day_names[7][4] = { "Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed" };
static const char *const long_day_names[7] = {
    "Thursday", "Friday", "Saturday", "Sunday", "Monday", "Tuesday", "Wednesday",
};
static const char month_names[12][4] = {
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};

/* Days since the epoch of a civil date (month 1..12). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

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
    memcpy(out, day_names[wd], 3);
    memcpy(out + 3, ", ", 2);
    put2(out + 5, d);
    out[7] = ' ';
    memcpy(out + 8, month_names[m - 1], 3);
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

/* A small cursor over the field value. */
struct cursor {
    const char *p, *end;
};

static bool take_lit(struct cursor *c, const char *lit)
{
    size_t n = strlen(lit);
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, lit, n) != 0)
        return false;
    c->p += n;
    return true;
}

static bool take_digits(struct cursor *c, unsigned count, unsigned *out)
{
    if ((size_t)(c->end - c->p) < count)
        return false;
    unsigned v = 0;
    for (unsigned i = 0; i < count; i++) {
        if (c->p[i] < '0' || c->p[i] > '9')
            return false;
        v = v * 10 + (unsigned)(c->p[i] - '0');
    }
    c->p += count;
    *out = v;
    return true;
}

static bool take_month(struct cursor *c, unsigned *m)
{
    for (unsigned i = 0; i < 12; i++)
        if (take_lit(c, month_names[i])) {
            *m = i + 1;
            return true;
        }
    return false;
}

static bool take_time(struct cursor *c, unsigned *h, unsigned *mi, unsigned *s)
{
    return take_digits(c, 2, h) && take_lit(c, ":") && take_digits(c, 2, mi) && take_lit(c, ":") &&
           take_digits(c, 2, s);
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
    struct cursor c = { s.ptr, s.ptr + s.len };
    unsigned d = 0, m = 0, h = 0, mi = 0, sec = 0, yy = 0;
    int64_t y = 0;
    bool ok = false;
    if (s.len >= 4 && s.ptr[3] == ',') {
        /* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" */
        unsigned wd;
        for (wd = 0; wd < 7 && !take_lit(&c, day_names[wd]); wd++)
            ;
        unsigned y4 = 0;
        ok = wd < 7 && take_lit(&c, ", ") && take_digits(&c, 2, &d) && take_lit(&c, " ") &&
             take_month(&c, &m) && take_lit(&c, " ") && take_digits(&c, 4, &y4) &&
             take_lit(&c, " ") && take_time(&c, &h, &mi, &sec) && take_lit(&c, " GMT");
        y = y4;
    } else if (s.len >= 4 && s.ptr[3] == ' ') {
        /* asctime-date: "Sun Nov  6 08:49:37 1994" (day padded with a space) */
        unsigned wd, y4 = 0;
        for (wd = 0; wd < 7 && !take_lit(&c, day_names[wd]); wd++)
            ;
        ok = wd < 7 && take_lit(&c, " ") && take_month(&c, &m) && take_lit(&c, " ");
        if (ok && take_lit(&c, " "))
            ok = take_digits(&c, 1, &d);
        else if (ok)
            ok = take_digits(&c, 2, &d);
        ok = ok && take_lit(&c, " ") && take_time(&c, &h, &mi, &sec) && take_lit(&c, " ") &&
             take_digits(&c, 4, &y4);
        y = y4;
    } else {
        /* rfc850-date: "Sunday, 06-Nov-94 08:49:37 GMT" */
        unsigned wd;
        for (wd = 0; wd < 7 && !take_lit(&c, long_day_names[wd]); wd++)
            ;
        ok = wd < 7 && take_lit(&c, ", ") && take_digits(&c, 2, &d) && take_lit(&c, "-") &&
             take_month(&c, &m) && take_lit(&c, "-") && take_digits(&c, 2, &yy) &&
             take_lit(&c, " ") && take_time(&c, &h, &mi, &sec) && take_lit(&c, " GMT");
        if (ok) {
            /* RFC 9110 5.6.7: a two-digit year more than 50 years in the future is the most
             * recent past year with those digits. */
            int64_t now_days = floor_div(now_seconds, 86400);
            int64_t now_y;
            unsigned nm, nd;
            civil_from_days(now_days, &now_y, &nm, &nd);
            y = floor_div(now_y, 100) * 100 + yy;
            if (y > now_y + 50)
                y -= 100;
        } else {
            y = 0;
        }
    }
    if (!ok || c.p != c.end)
        return -EINVAL;
    /* The weekday is not checked against the date: RFC 9110 only asks for the syntax. Leap
     * seconds (":60") are accepted as the next second. */
    if (h > 23 || mi > 59 || sec > 60 || !days_in_month_ok(y, m, d))
        return -EINVAL;
    *out = days_from_civil(y, m, d) * 86400 + h * 3600 + mi * 60 + sec;
    return 0;
}
