/*
 * lib/errno: names of the error codes in lib/errno.h, for logs and test messages.
 */
#include "lib/errno.h"
#include "lib/panic.h"

#define NAME(e) [e] = #e
static const char *const names[] = {
    NAME(EPERM), NAME(ENOENT), NAME(EINTR), NAME(EIO), NAME(E2BIG), NAME(EBADF),
    NAME(EAGAIN), NAME(ENOMEM), NAME(EACCES), NAME(EFAULT), NAME(EBUSY), NAME(EEXIST),
    NAME(ENODEV), NAME(EINVAL), NAME(ENOSPC), NAME(EROFS), NAME(EPIPE), NAME(ERANGE),
    NAME(ENAMETOOLONG), NAME(ENOSYS), NAME(ENOTEMPTY), NAME(ENODATA), NAME(ETIME),
    NAME(EPROTO), NAME(EBADMSG), NAME(EOVERFLOW), NAME(EMSGSIZE), NAME(EPROTONOSUPPORT),
    NAME(EOPNOTSUPP), NAME(EADDRINUSE), NAME(EADDRNOTAVAIL), NAME(ENETDOWN),
    NAME(ENETUNREACH), NAME(ECONNABORTED), NAME(ECONNRESET), NAME(ENOBUFS), NAME(EISCONN),
    NAME(ENOTCONN), NAME(ESHUTDOWN), NAME(ETIMEDOUT), NAME(ECONNREFUSED), NAME(EHOSTUNREACH),
    NAME(EALREADY), NAME(EINPROGRESS),
};

const char *error_name(int err)
{
    if (err == 0)
        return "OK";
    /* Negate as unsigned: -INT_MIN does not exist as an int. */
    unsigned e = err < 0 ? 0u - (unsigned)err : (unsigned)err;
    if (e < ARRAY_SIZE(names) && names[e])
        return names[e];
    return "unknown error";
}
