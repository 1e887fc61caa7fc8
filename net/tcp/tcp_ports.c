/*
 * net/tcp_ports: RFC 6056 Algorithm 3 (double-hash) ephemeral port selection.
 */
#include "net/tcp/tcp_ports.h"

#include "lib/errno.h"
#include "lib/random.h"

_Static_assert((TCP_PORTS_TABLE_SIZE & (TCP_PORTS_TABLE_SIZE - 1)) == 0, "table size power of two");

void tcp_ports_init(struct tcp_ports *ports)
{
    siphash_key_random(&ports->key);
    random_bytes(ports->table, sizeof(ports->table));
    ports->first = TCP_EPHEMERAL_FIRST;
    ports->last = TCP_EPHEMERAL_LAST;
}

int tcp_ports_set_range(struct tcp_ports *ports, uint16_t first, uint16_t last)
{
    if (first == 0 || first > last)
        return -EINVAL;
    ports->first = first;
    ports->last = last;
    return 0;
}

static uint64_t hash_destination(const struct siphash_key *key, uint32_t local_ip, uint32_t remote_ip,
                                 uint16_t remote_port)
{
    /* The destination as a 12-byte message: both addresses, the remote port, two zero bytes. */
    return siphash24_12(key, (uint64_t)local_ip | (uint64_t)remote_ip << 32, remote_port);
}

int tcp_ports_pick(struct tcp_ports *ports, uint32_t local_ip, uint32_t remote_ip,
                   uint16_t remote_port, tcp_port_in_use_fn in_use, void *arg)
{
    uint32_t count = (uint32_t)ports->last - ports->first + 1;
    /* F and G (RFC 6056 3.3.3) are the two halves of one keyed hash: independent as the halves of
     * a pseudo-random function's output are, and a connect pays for one hash, not two. */
    uint64_t h = hash_destination(&ports->key, local_ip, remote_ip, remote_port);
    uint32_t offset = (uint32_t)h;
    uint32_t index = (uint32_t)(h >> 32) & (TCP_PORTS_TABLE_SIZE - 1);
    /* The walk counts in 32 bits from the table's value: a 16-bit counter wrapping mid-walk would
     * jump, and unless the range size divides 65536 it could revisit ports and miss others. */
    offset %= count;
    uint32_t base = ports->table[index];
    for (uint32_t tries = 0; tries < count; tries++) {
        uint16_t port = (uint16_t)(ports->first + (offset + base + tries) % count);
        ports->table[index] = (uint16_t)(base + tries + 1);
        if (!in_use || !in_use(arg, port))
            return port;
    }
    return -EADDRNOTAVAIL;
}
