/*
 * Unit tests for an image that leaves every optional network feature out, SACK included
 * (net/wire/features.h; APP_NET_WITHOUT in an app.mk, as app/dns does). This program defines
 * net_features itself, as such an image does. Without SACK, TCP neither offers nor accepts
 * SACK-permitted (RFC 2018 2: SACK is used only when both ends sent it on the SYN), sends no SACK
 * blocks, and repairs a loss by NewReno fast retransmit and fast recovery (RFC 6582) or the RTO.
 * test_net_features.c and test_net_features_tcp.c cover the other features left out.
 */
#include "test/unit/tcp_forge.h"
#include "lib/errno.h"
#include "net/wire/features.h"
#include "xenolith/test_main.h"

const uint32_t net_features = 0;

#define PORT 5301

static void setup(void)
{
    tcp_fixture_up(NULL, MS, 0);
}

/* The stack's default has SACK off and refuses to turn it on. */
START_TEST(sack_is_off_and_cannot_be_turned_on)
{
    struct tcp_config cfg;
    tcp_get_config(sb, &cfg);
    ck_assert(!cfg.sack);
    cfg.sack = true;
    ck_assert_int_eq(tcp_set_config(sb, &cfg), -EINVAL);
}
END_TEST

/* RFC 2018 2: a SYN that offers SACK-permitted is answered by a SYN-ACK without it, and our own
 * SYN does not offer it, so neither end of the connection uses SACK. */
START_TEST(sack_permitted_is_neither_offered_nor_accepted)
{
    struct tcp_listener *l;
    ck_assert_int_eq(tcp_listen(sb, PORT + 1, 8, &l), 0);
    struct tcp_options o = { .present = TCP_OPTF_MSS | TCP_OPTF_SACK_PERMITTED, .mss = 1460 };
    tf_inject(sb, A_IP, B_IP, 40000, PORT + 1, 1000, 0, TCP_FLAG_SYN, 65535, &o, NULL, 0);
    run_for(10 * MS);
    const struct tf_seg *synack = tap_find(false, TCP_FLAG_SYN | TCP_FLAG_ACK);
    ck_assert_ptr_nonnull(synack);
    ck_assert(!(synack->opts.present & TCP_OPTF_SACK_PERMITTED));
    tcp_listener_close(l);
    tf_tap_clear();

    struct tf_conns p;
    tf_open(&p, PORT);
    const struct tf_seg *syn = tap_find(true, TCP_FLAG_SYN);
    ck_assert_ptr_nonnull(syn);
    ck_assert(!(syn->opts.present & TCP_OPTF_SACK_PERMITTED));
    ck_assert(!p.client->sack_ok);
    ck_assert(!p.server->sack_ok);
    tf_close_all(&p);
}
END_TEST

/* RFC 6582 / RFC 5681 3.2: a lost segment in a bulk transfer is repaired by fast retransmit on
 * three duplicate ACKs, which carry no SACK blocks (RFC 2018 4: only when SACK was permitted). */
START_TEST(loss_is_repaired_by_newreno_without_sack_blocks)
{
    struct tf_conns p;
    tf_open(&p, PORT);
    tf_bulk_with_one_loss(&p);
    ck_assert_uint_ge(p.client->cc.counters.fast_retransmits, 1);
    tf_assert_no_sack_from_b();
    tf_close_all(&p);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("net_no_sack");
    TCase *tc = tcase_create("none");
    tcase_add_checked_fixture(tc, setup, tcp_fixture_down);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, sack_is_off_and_cannot_be_turned_on);
    tcase_add_test(tc, sack_permitted_is_neither_offered_nor_accepted);
    tcase_add_test(tc, loss_is_repaired_by_newreno_without_sack_blocks);
    suite_add_tcase(s, tc);
    return s;
}
TEST_MAIN(suite)
