/*
 * @NAME@/service: the line protocol (service.h). Everything here is checked against bad input:
 * the words come from whoever wrote the command line, the lines from any client on the network.
 */
#include "service.h"
#include "lib/errno.h"
#include "lib/parse.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "xenolith/time.h"

int service_parse_args(int argc, char **argv, struct service_config *cfg, char *err, size_t err_size)
{
    cfg->port = SERVICE_DEFAULT_PORT;
    for (int i = 0; i < argc; i++) {
        const char *word = argv[i];
        if (strncmp(word, "port=", 5) == 0) {
            uint32_t port;
            const char *value = word + 5;
            if (parse_u32(value, strlen(value), 10, &port) != 0 || port == 0 || port > 65535) {
                ksnprintf(err, err_size, "port=%s: want a TCP port, 1 to 65535", value);
                return -EINVAL;
            }
            cfg->port = (uint16_t)port;
        } else {
            ksnprintf(err, err_size, "unknown argument '%s' (the only one is port=N)", word);
            return -EINVAL;
        }
    }
    return 0;
}

long service_next_line(const char *buf, size_t len, size_t *consumed)
{
    size_t scan = len < SERVICE_LINE_MAX + 2 ? len : SERVICE_LINE_MAX + 2;
    const char *nl = memchr(buf, '\n', scan);
    if (!nl)
        return len > SERVICE_LINE_MAX ? -EMSGSIZE : -EAGAIN;
    size_t line = (size_t)(nl - buf);
    *consumed = line + 1;
    if (line > 0 && buf[line - 1] == '\r')
        line--;
    if (line > SERVICE_LINE_MAX)
        return -EMSGSIZE;
    return (long)line;
}

size_t service_answer(const char *line, size_t len, char *out, size_t out_size)
{
    int n;
    if (len == 4 && memcmp(line, "time", 4) == 0)
        n = ksnprintf(out, out_size, "up %llu s\n",
                      (unsigned long long)(platform_monotonic_ns() / NS_PER_S));
    else
        n = ksnprintf(out, out_size, "@NAME@: %.*s\n", (int)len, line);
    if (n < 0)
        return 0;
    return (size_t)n < out_size ? (size_t)n : out_size - 1;
}
