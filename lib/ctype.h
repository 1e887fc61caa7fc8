/*
 * lib/ctype: character classes of the C locale (ASCII), standard names and prototypes.
 * The kernel gets them from lib/libc/ctype.c, hosted builds from the host's C library.
 * Arguments are an unsigned char value or -1 (EOF), as in C.
 */
#ifndef XENOLITH_LIB_CTYPE_H
#define XENOLITH_LIB_CTYPE_H

int isdigit(int c);
int isxdigit(int c);
int isspace(int c);
int isalpha(int c);
int isalnum(int c);
int isupper(int c);
int islower(int c);
int isprint(int c);
int ispunct(int c);
int iscntrl(int c);
int tolower(int c);
int toupper(int c);

#endif
