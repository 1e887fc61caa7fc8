/*
 * lib/libc/ctype: the C locale's character classes for the kernel (see lib/ctype.h).
 * Anything outside ASCII, including EOF, belongs to no class and is not case-mapped.
 */
#include "lib/ctype.h"

int isdigit(int c)
{
    return c >= '0' && c <= '9';
}

int isxdigit(int c)
{
    return isdigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

int isspace(int c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}

int isupper(int c)
{
    return c >= 'A' && c <= 'Z';
}

int islower(int c)
{
    return c >= 'a' && c <= 'z';
}

int isalpha(int c)
{
    return isupper(c) || islower(c);
}

int isalnum(int c)
{
    return isalpha(c) || isdigit(c);
}

int isprint(int c)
{
    return c >= 0x20 && c < 0x7f;
}

int ispunct(int c)
{
    return isprint(c) && c != ' ' && !isalnum(c);
}

int iscntrl(int c)
{
    return (c >= 0 && c < 0x20) || c == 0x7f;
}

int tolower(int c)
{
    return isupper(c) ? c - 'A' + 'a' : c;
}

int toupper(int c)
{
    return islower(c) ? c - 'a' + 'A' : c;
}
