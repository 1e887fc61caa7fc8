/*
 * lib/errno: names of the error codes in lib/errno.h, for logs and test messages.
 */
#include "lib/errno.h"
#include "lib/panic.h"

#include <stdint.h>

#define ERROR_LIST(X)                                                                       \
    X(EPERM) X(ENOENT) X(EINTR) X(EIO) X(E2BIG) X(EBADF) X(EAGAIN) X(ENOMEM) X(EACCES)      \
    X(EFAULT) X(EBUSY) X(EEXIST) X(ENODEV) X(EINVAL) X(ENOSPC) X(EROFS) X(EPIPE) X(ERANGE)  \
    X(ENAMETOOLONG) X(ENOSYS) X(ENOTEMPTY) X(ENODATA) X(ETIME) X(EPROTO) X(EBADMSG)         \
    X(EOVERFLOW) X(EMSGSIZE) X(EPROTONOSUPPORT) X(EOPNOTSUPP) X(EADDRINUSE)                 \
    X(EADDRNOTAVAIL) X(ENETDOWN) X(ENETUNREACH) X(ECONNABORTED) X(ECONNRESET) X(ENOBUFS)    \
    X(EISCONN) X(ENOTCONN) X(ESHUTDOWN) X(ETIMEDOUT) X(ECONNREFUSED) X(EHOSTUNREACH)        \
    X(EALREADY) X(EINPROGRESS)

/* The codes (each fits a byte: -Werror refuses one that does not) and their names packed in
 * the same order, each ended by its NUL; a table indexed by code was 928 bytes of pointers,
 * most of them NULL. */
#define CODE(e) e,
#define NAME(e) #e "\0"
static const uint8_t codes[] = { ERROR_LIST(CODE) };
static const char names[] = ERROR_LIST(NAME);

const char *error_name(int err)
{
    if (err == 0)
        return "OK";
    /* Negate as unsigned: -INT_MIN does not exist as an int. */
    unsigned e = err < 0 ? 0u - (unsigned)err : (unsigned)err;
    const char *name = names;
    for (size_t i = 0; i < ARRAY_SIZE(codes); i++, name += __builtin_strlen(name) + 1)
        if (codes[i] == e)
            return name;
    return "unknown error";
}
