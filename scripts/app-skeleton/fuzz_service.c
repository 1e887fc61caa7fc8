/*
 * libFuzzer harness for @NAME@'s parsers (service.h): the input is cut at its first NUL byte;
 * what comes before is split at spaces into the words after "--" (service_parse_args), what
 * comes after is a client's byte stream, framed into lines and answered as the connection would
 * (service_next_line, service_answer). Properties checked beyond "no crash": an accepted port is
 * in range, every line fits and is consumed, every answer ends in a newline.
 *
 * Run with:  make APP_DIR=<this directory> app-fuzz    (FUZZ_RUNS inputs, default 20000)
 * Seeds: corpus/service/ (one file per input; add a file for every bug found).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "service.h"
#include "lib/errno.h"
#include "lib/string.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
    if (!ok)
        abort();
}

static void fuzz_args(const uint8_t *data, size_t size)
{
    static char words[512];
    char *argv[32];
    int argc = 0;
    if (size >= sizeof(words))
        size = sizeof(words) - 1;
    memcpy(words, data, size);
    words[size] = '\0';
    for (char *p = words; *p && argc < 32;) {
        argv[argc++] = p;
        char *space = strchr(p, ' ');
        if (!space)
            break;
        *space = '\0';
        p = space + 1;
    }
    struct service_config cfg;
    char err[128];
    int rc = service_parse_args(argc, argv, &cfg, err, sizeof(err));
    if (rc == 0)
        check(cfg.port >= 1);
    else
        check(rc == -EINVAL && strlen(err) < sizeof(err));
}

static void fuzz_lines(const char *buf, size_t len)
{
    char out[SERVICE_ANSWER_MAX];
    while (len > 0) {
        size_t consumed = 0;
        long line = service_next_line(buf, len, &consumed);
        if (line == -EAGAIN || line == -EMSGSIZE)
            return;
        check(line >= 0 && line <= SERVICE_LINE_MAX);
        check(consumed > (size_t)line && consumed <= len);
        size_t n = service_answer(buf, (size_t)line, out, sizeof(out));
        check(n > 0 && n < sizeof(out) && out[n - 1] == '\n' && out[n] == '\0');
        buf += consumed;
        len -= consumed;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    size_t args_len = nul ? (size_t)(nul - data) : size;
    fuzz_args(data, args_len);
    if (nul)
        fuzz_lines((const char *)nul + 1, size - args_len - 1);
    return 0;
}
