/*
 * @NAME@/service: the line protocol of @NAME@, as pure functions (no network, no fibers), so the
 * unit tests (test_service.c) and the fuzz harness (fuzz_service.c) reach every rule of it.
 *
 * The protocol: the client sends lines ending in "\n" (or "\r\n"); each is answered with one
 * line: "time" with the appliance's uptime ("up 42 s"), anything else with itself prefixed by
 * the appliance's name ("@NAME@: hello"). A line longer than SERVICE_LINE_MAX bytes is refused.
 */
#ifndef @GUARD@_SERVICE_H
#define @GUARD@_SERVICE_H

#include <stddef.h>
#include <stdint.h>

#define SERVICE_DEFAULT_PORT 7777
#define SERVICE_LINE_MAX 512
/* The longest answer: the prefix, a whole line, the newline and the NUL. */
#define SERVICE_ANSWER_MAX (SERVICE_LINE_MAX + 64)

struct service_config {
    uint16_t port;                   /* TCP port to listen on */
};

/* Parses the application's words (the ones after "--" on the command line): port=N, 1..65535,
 * SERVICE_DEFAULT_PORT when absent. Returns 0, or -EINVAL with a message for the user in err
 * (NUL-terminated, cut to err_size) for an unknown word or a bad value. */
int service_parse_args(int argc, char **argv, struct service_config *cfg, char *err, size_t err_size);

/* Finds the first complete line in buf[0..len). Returns its length without the line end and
 * sets *consumed to the bytes it takes up, line end included; -EAGAIN when no line is complete
 * yet; -EMSGSIZE when SERVICE_LINE_MAX bytes hold no line end (the client is not speaking the
 * protocol). */
long service_next_line(const char *buf, size_t len, size_t *consumed);

/* Writes the answer to one line (without its line end) into out, NUL-terminated and ending in
 * "\n"; returns its length without the NUL. out_size must be at least SERVICE_ANSWER_MAX;
 * len at most SERVICE_LINE_MAX. "time" reads the monotonic clock (xenolith/time.h). */
size_t service_answer(const char *line, size_t len, char *out, size_t out_size);

#endif
