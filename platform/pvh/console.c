/*
 * platform/pvh/console: the consoles every PVH machine may have, and platform_console_write,
 * which hands bytes to the chosen machine's console (pvh_machine->console_write). Bare QEMU:
 * the COM1 16550 UART (115200 8n1, probed through its scratch register so a machine without
 * one costs nothing) and the QEMU/Bochs debug port 0xe9. Xen PVH has no UART: its machine
 * (pvh_xen.c) writes to port 0xe9 or Xen's debug console, and to the PV console ring.
 */
#include <stdint.h>
#include "platform/pvh/pvh.h"
#include "arch/x86_64/cpu.h"

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

static void uart_put(char c)
{
    for (unsigned spin = 0; spin < UART_SPIN_LIMIT; spin++) {
        if (inb(COM1 + UART_LSR) & LSR_THR_EMPTY)
            break;
        cpu_relax();
    }
    outb(COM1 + UART_DATA, (uint8_t)c);
}

void console_uart_write(const char *buf, size_t len)
{
    if (!have_uart)
        return;
    for (size_t i = 0; i < len; i++) {
        if (buf[i] == '\n')
            uart_put('\r'); /* terminals in raw mode need the carriage return */
        uart_put(buf[i]);
    }
}

void console_debug_port_write(const char *buf, size_t len)
{
    for (size_t i = 0; i < len; i++)
        outb(DEBUG_PORT, (uint8_t)buf[i]);
}

void platform_console_write(const char *buf, size_t len)
{
    pvh_machine->console_write(buf, len);
}
