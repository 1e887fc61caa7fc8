/*
 * lib/calendar: the proleptic Gregorian calendar as days since 1970-01-01, both ways, for any
 * year an int64_t day count holds (negative years included). Used for HTTP dates
 * (http/http_date.c) and the CMOS RTC's date (platform/pvh/pvh_qemu.c); no table of months by
 * year is needed.
 */
#ifndef XENOLITH_LIB_CALENDAR_H
#define XENOLITH_LIB_CALENDAR_H

#include <stdint.h>

/* Days from 1970-01-01 to y-m-d (month 1..12, day 1..31; not checked against the month). */
int64_t days_from_civil(int64_t y, unsigned m, unsigned d);

/* The date `days` after 1970-01-01 (before it when negative). */
void civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);

#endif
