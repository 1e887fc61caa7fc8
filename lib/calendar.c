/*
 * lib/calendar: days since 1970-01-01 from a civil date and back (calendar.h). The year is
 * shifted to start in March, so the leap day is the last of its year; 400 years ("an era") are
 * exactly 146097 days, and 1970-01-01 is day 719468 from 0000-03-01.
 */
#include "lib/calendar.h"

#define DAYS_PER_ERA 146097
#define EPOCH_FROM_ERA_START 719468

int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * DAYS_PER_ERA + (int64_t)doe - EPOCH_FROM_ERA_START;
}

void civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d)
{
    days += EPOCH_FROM_ERA_START;
    int64_t era = (days >= 0 ? days : days - (DAYS_PER_ERA - 1)) / DAYS_PER_ERA;
    unsigned doe = (unsigned)(days - era * DAYS_PER_ERA);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}
