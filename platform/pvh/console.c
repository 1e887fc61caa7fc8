/*
 * arch/x86_64/console: the kernel's consoles. Bare QEMU: the COM1 16550 UART (115200 8n1,
 * probed through its scratch register so a machine without one costs nothing) and the
 * QEMU/Bochs debug port 0xe9. Xen PVH has no UART: every byte goes to port 0xe9 (Xen logs
 * it) and to the PV console ring once xen/ has set it up.
 */
#include <stdint.h>
#include "arch/x86_64/arch.h"
#include "arch/x86_64/cpu.h"
#include "xen/xen.h"

#define COM1 0x3f8
#define UART_DATA 0
#define UART_IER 1
#define UART_DIVISOR_LOW 0
#define UART_DIVISOR_HIGH 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_SCRATCH 7
#define LSR_THR_EMPTY 0x20
#define DEBUG_PORT 0xe9
/* A UART that never drains must not hang the kernel (or a crash report). */
#define UART_SPIN_LIMIT 100000

static bool have_uart;
static bool on_xen;

static bool uart_probe(void)
{
    outb(COM1 + UART_SCRATCH, 0x5a);
    if (inb(COM1 + UART_SCRATCH) != 0x5a)
        return false;
    outb(COM1 + UART_SCRATCH, 0xa5);
    return inb(COM1 + UART_SCRATCH) == 0xa5;
}

void console_init(void)
{
    if (!uart_probe())
        return;
    outb(COM1 + UART_IER, 0x00);          /* polled: no UART interrupts */
    outb(COM1 + UART_LCR, 0x80);          /* divisor latch access */
    outb(COM1 + UART_DIVISOR_LOW, 1);     /* 115200 baud = 115200 / 1 */
    outb(COM1 + UART_DIVISOR_HIGH, 0);
    outb(COM1 + UART_LCR, 0x03);          /* 8 data bits, no parity, 1 stop bit */
    outb(COM1 + UART_FCR, 0x07);          /* FIFOs on and cleared */
    outb(COM1 + UART_MCR, 0x03);          /* DTR, RTS */
    have_uart = true;
}

void console_use_xen(bool xen)
{
    on_xen = xen;
    if (xen)
        have_uart = false;
}

static void uart_put(char c)
{
    for (unsigned spin = 0; spin < UART_SPIN_LIMIT; spin++) {
        if (inb(COM1 + UART_LSR) & LSR_THR_EMPTY)
            break;
        cpu_relax();
    }
    outb(COM1 + UART_DATA, (uint8_t)c);
}

void platform_console_write(const char *buf, size_t len)
{
    /* Xen's debug console when Xen lets a domU use it, else port 0xe9 (Xen logs that too). */
    bool hypercall_console = on_xen && xen_debug_console_status() == 1;
    if (hypercall_console)
        xen_debug_console_write(buf, len);
    for (size_t i = 0; i < len; i++) {
        if (!hypercall_console)
            outb(DEBUG_PORT, (uint8_t)buf[i]);
        if (have_uart) {
            if (buf[i] == '\n')
                uart_put('\r'); /* terminals in raw mode need the carriage return */
            uart_put(buf[i]);
        }
    }
    if (on_xen)
        xen_console_write(buf, len);
}
