/*
 * xen/hypercall_page.S: the hypercall page. One page of .text, page-aligned, that Xen fills with its
 * hypercall stubs when xen_early_init() writes the page's physical address to Xen's MSR. Until
 * then it holds int3 (0xcc), so a premature hypercall traps instead of running off the page.
 * Xen writes it through guest-physical memory, so the page can stay read-only and executable.
 */
    .section .text.xen_hypercall_page, "ax", @progbits
    .balign 4096
    .globl xen_hypercall_page
    .type xen_hypercall_page, @object
xen_hypercall_page:
    .fill 4096, 1, 0xcc
    .size xen_hypercall_page, 4096

    .section .note.GNU-stack, "", @progbits
