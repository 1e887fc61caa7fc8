/*
 * xen/optional: the definition of xen_optionals (xen/optional.h). The library's copy has every
 * part; an application's xen image links its own copy of this file, compiled by mk/app.mk with
 * XEN_OPTIONALS_LEFT_OUT set from its app.mk, which takes precedence.
 */
#include "xen/optional.h"
#include "kernel/kernel.h"

#ifndef XEN_OPTIONALS_LEFT_OUT
#define XEN_OPTIONALS_LEFT_OUT 0u
#endif

const uint32_t xen_optionals = XEN_OPTIONALS_ALL & ~(uint32_t)(XEN_OPTIONALS_LEFT_OUT);

/* The resume hooks (kernel/kernel.h) run only after a resume, so an image without suspend keeps
 * none of them. */
bool lifecycle_resumable(void)
{
    return xen_has(xen_optionals, XEN_OPTIONAL_SUSPEND);
}
