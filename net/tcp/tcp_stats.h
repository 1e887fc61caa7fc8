/*
 * net/tcp/tcp_stats: TCP's per-stack counters as an X-macro list (struct tcp_stats is embedded
 * in struct tcp_layer; netstack_print_stats prints every name). Every segment TCP drops increments
 * exactly one rx_drop_* or named counter, so a capture can be reconciled with these numbers.
 */
#ifndef XENOLITH_NET_TCP_STATS_H
#define XENOLITH_NET_TCP_STATS_H

#include <stdint.h>

#define TCP_COUNTERS(X)                                                                        \
    X(rx_segments)          /* handed to tcp_input */                                          \
    X(rx_bad_checksum)                                                                         \
    X(rx_bad_header)        /* truncated, data offset out of range, malformed options */       \
    X(rx_bad_port)          /* source or destination port 0 (reserved): dropped silently */    \
    X(rx_bad_address)       /* broadcast/multicast destination or source */                   \
    X(rx_no_connection)     /* no TCB and no listener: answered with RST (RFC 9293 3.10.7.1) */ \
    X(rx_unacceptable)      /* failed the RFC 9293 3.10.7.4 acceptability test: ACK sent */    \
    X(rx_bad_ack)           /* ACK beyond SND.NXT or too old (RFC 5961 5.2): dropped/ACKed */   \
    X(rx_rst_accepted)      /* RST that ended a connection */                                  \
    X(rx_rst_challenged)    /* RST in window but not at RCV.NXT: challenge ACK (RFC 5961 3.2) */ \
    X(rx_rst_ignored)       /* RST out of window, or in LISTEN */                              \
    X(rx_syn_challenged)    /* SYN in a synchronized state: challenge ACK (RFC 5961 4.2) */    \
    X(rx_challenge_throttled) /* challenge ACKs the rate limiter suppressed (RFC 5961 7) */    \
    X(rx_no_ack_flag)       /* synchronized state, ACK bit off: dropped (RFC 9293 3.10.7.4) */ \
    X(rx_duplicate)         /* entirely old data: dropped, ACK sent */                        \
    X(rx_paws_rejected)     /* TSval older than TS.Recent (RFC 7323 5.3 R1): dropped, ACK sent */ \
    X(rx_no_timestamp)      /* non-RST segment without TSopt after negotiation (RFC 7323 3.2) */ \
    X(rx_ooo_fin)           /* FIN beyond RCV.NXT: remembered until the gap fills (3.10.7.4) */ \
    X(rx_out_of_order)      /* segments queued out of order */                                 \
    X(rx_ooo_dropped)       /* out-of-order segments refused (queue bound, or no queue) */     \
    X(rx_window_trimmed)    /* bytes cut off beyond the receive window */                      \
    X(rx_after_shutdown)    /* data after tcp_shutdown(RD) or close: discarded */              \
    X(rx_data_after_fin)    /* data past the peer's FIN: dropped */                            \
    X(rx_listen_bad)        /* ACK or RST to a listener, or a SYN without SYN-only flags */    \
    X(rx_listen_overflow)   /* SYN dropped: accept backlog full */                            \
    X(rx_syncookies_sent)   /* SYN answered with a cookie (half-open queue full) */            \
    X(rx_syncookies_ok)     /* ACKs that validated a cookie and created a connection */       \
    X(rx_syncookies_bad)    /* ACKs to a listener with an invalid cookie: RST */              \
    X(rx_half_open_full)    /* SYN dropped: half-open queue full, cookies off */               \
    X(rx_timewait_reuse)    /* SYN accepted on a TIME_WAIT 4-tuple (RFC 6191) */               \
    X(rx_timewait_rst_ignored) /* RST to a TIME_WAIT 4-tuple: ignored (RFC 1337) */            \
    X(rx_timewait_fin_acked) /* retransmitted FIN in TIME_WAIT: re-ACKed, 2*MSL restarted */   \
    X(rx_timewait_acked)    /* other segment in TIME_WAIT answered with an ACK (rate-limited) */ \
    X(rx_timewait_dropped)  /* bare ACK (or rate-limited segment) in TIME_WAIT: dropped */      \
    X(rx_syn_retransmitted) /* SYN again in SYN_RECEIVED: SYN-ACK resent (RFC 9293 3.10.7.4) */ \
    X(rx_invalid_ack_throttled) /* ACK to an invalid segment suppressed (RFC 5961 10) */       \
    X(rx_syncookies_conn_limit) /* valid cookie ACK, max_connections reached: RST */          \
    X(rx_icmp_errors)       /* ICMP errors about our segments */                               \
    X(rx_icmp_ignored)      /* ... not matching a TCB or outside SND.UNA..SND.NXT (RFC 5927) */ \
    X(rx_pmtu_updates)      /* MSS lowered after fragmentation needed (RFC 1191) */             \
    X(pmtu_mss_raised)      /* MSS raised again after the path MTU estimate expired */          \
    X(rx_no_memory)         /* segments dropped for want of memory */                          \
    X(tx_segments)                                                                             \
    X(tx_data_segments)                                                                        \
    X(tx_retransmits)       /* segments retransmitted, all causes */                           \
    X(tx_rst)               /* RSTs sent */                                                    \
    X(tx_challenge_acks)    /* RFC 5961 challenge ACKs */                                      \
    X(tx_delayed_acks)      /* ACKs sent by the delayed-ACK timer */                           \
    X(tx_window_probes)     /* zero-window probes (persist timer) */                           \
    X(tx_keepalives)                                                                           \
    X(tx_no_buffers)        /* no packet buffer for a segment: retried by the timers */       \
    X(tx_errors)            /* the IP layer refused a segment */                               \
    X(rto_expirations)                                                                         \
    X(fast_retransmits)     /* recovery episodes entered */                                    \
    X(rack_recoveries)      /* ... of which RACK's time-based detection started (RFC 8985) */  \
    X(rack_lost_retransmits)/* retransmissions RACK found lost again (RFC 8985 6.2) */         \
    X(rack_spurious)        /* retransmissions whose original arrived after all */             \
    X(tx_tail_loss_probes)  /* RFC 8985 7 probes */                                            \
    X(tlp_repairs)          /* probes that repaired a loss (RFC 8985 7.4) */                   \
    X(conn_opened_active)   /* connections that reached ESTABLISHED from SYN_SENT */          \
    X(conn_opened_passive)  /* ... from SYN_RECEIVED */                                        \
    X(conn_reset_by_peer)                                                                      \
    X(conn_timed_out)       /* retransmissions or keepalives exhausted */                     \
    X(conn_aborted)         /* reset by us: abort, close with unread data, shutdown */        \
    X(conn_limit)           /* new TCB refused: max_connections */                            \
    X(conn_persist_timeout) /* zero window probed beyond the user timeout: reset */           \
    X(conn_orphan_reaped)   /* closed connection past orphan_retries sending its FIN: reset */ \
    X(conn_fin_wait_2_timeout) /* closed connection whose peer never sent its FIN */          \
    X(time_wait_entered)    /* connections that entered TIME_WAIT (records made) */           \
    X(time_wait_recycled)   /* ... that reused the oldest record: the table was full */       \
    X(time_wait_no_memory)  /* ... that got no record (out of memory): closed at once */      \
    X(buffer_limit)         /* bytes refused by the per-connection or global buffer bounds */

struct tcp_stats {
#define TCP_STAT_FIELD(name) uint64_t name;
    TCP_COUNTERS(TCP_STAT_FIELD)
#undef TCP_STAT_FIELD
};

#endif
