/*
 * kernel/resume: the resume hooks (kernel.h). A list kept below the layers that register (the
 * network bring-up) and the one that runs it (xen/suspend.c), so neither reaches up to the other.
 */
#include "kernel/kernel.h"

static struct resume_hook *resume_hooks;
/* The default, for platforms that never resume the machine (hosted); xen/optional.c's
 * definition takes precedence in Xen images. A function rather than a constant: the compiler
 * may fold a weak constant's value here, before the link chooses the definition. */
__attribute__((weak)) bool lifecycle_resumable(void)
{
    return false;
}

void lifecycle_on_resume(struct resume_hook *hook)
{
    if (!lifecycle_resumable())
        return;   /* never run in this image: link-time optimization drops the hook's code */
    for (struct resume_hook *h = resume_hooks; h; h = h->next)
        if (h == hook)
            return;   /* registered already */
    hook->next = resume_hooks;
    resume_hooks = hook;
}

void lifecycle_run_resume_hooks(void)
{
    for (struct resume_hook *h = resume_hooks; h; h = h->next)
        h->run(h->arg);
}
