/*
 * xen/hypercall_page.S: the hypercall page. One page that Xen fills with its hypercall stubs
 * when xen_early_init() writes the page's physical address to Xen's MSR. It lives in .bss,
 * so images carry no 4 KiB of filler: xen_hypercall_page_prepare() fills it with int3 (0xcc)
 * during boot, while the boot page tables still map it writable, so a premature hypercall
 * traps instead of running off the page; the final page tables map it read-only and
 * executable (arch/x86_64/paging.c). Xen writes it through guest-physical memory, which the
 * guest's own mapping does not restrict, and it is never writable and executable at once.
 */
    .section .bss.xen_hypercall_page, "aw", @nobits
    .balign 4096
    .globl xen_hypercall_page
    .type xen_hypercall_page, @object
xen_hypercall_page:
    .skip 4096
    .size xen_hypercall_page, 4096

    .section .note.GNU-stack, "", @progbits
