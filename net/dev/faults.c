/*
 * net/dev/faults: the fault-injecting decorator (see faults.h). Every frame consumes the same
 * number of PRNG draws whatever happens to it, so one seed always yields the same fault pattern
 * for the same traffic. Held frames (delayed or reordered) sit in a small table served by one
 * sched/ timer.
 */
#include "net/dev/faults.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/mm.h"
#include "mm/pbuf.h"
#include "platform/platform.h"
#include "sched/sched.h"

#define DEFAULT_REORDER_HOLD_NS 10000000ull

struct held_frame {
    struct pbuf *p;                  /* NULL: slot free */
    uint64_t due_ns;
    unsigned direction;
    bool reorder;                    /* released right after the next frame in its direction */
};

struct faults_dev {
    struct netdev dev;
    struct netdev *lower;
    struct faults_config cfg;
    uint64_t rng;
    struct faults_stats stats;
    struct held_frame held[FAULTS_MAX_HELD];
    struct timer timer;
};

/* splitmix64: tiny, fast and good enough to pick faults; not the kernel CSPRNG on purpose,
 * since the point is replaying a seed. */
static uint64_t next_random(struct faults_dev *fd)
{
    uint64_t z = (fd->rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static bool roll(struct faults_dev *fd, uint32_t ppm)
{
    uint64_t r = next_random(fd) % FAULTS_PPM;
    return r < ppm;
}

static void pass_on(struct faults_dev *fd, unsigned direction, struct pbuf *p)
{
    if (direction == FAULTS_TX)
        netdev_transmit(fd->lower, p);
    else
        netdev_receive(&fd->dev, p);
}

static void rearm(struct faults_dev *fd)
{
    uint64_t next = DEADLINE_NONE;
    for (unsigned i = 0; i < FAULTS_MAX_HELD; i++)
        if (fd->held[i].p && fd->held[i].due_ns < next)
            next = fd->held[i].due_ns;
    if (next == DEADLINE_NONE)
        timer_cancel(&fd->timer);
    else
        timer_arm(&fd->timer, next);
}

static bool hold(struct faults_dev *fd, unsigned direction, struct pbuf *p, uint64_t due,
                 bool reorder)
{
    for (unsigned i = 0; i < FAULTS_MAX_HELD; i++) {
        struct held_frame *h = &fd->held[i];
        if (!h->p) {
            h->p = p;
            h->due_ns = due;
            h->direction = direction;
            h->reorder = reorder;
            rearm(fd);
            return true;
        }
    }
    fd->stats.held_overflow++;
    return false;
}

/* Sends p, then any frame that was held back to be overtaken by it. */
static void emit(struct faults_dev *fd, unsigned direction, struct pbuf *p)
{
    pass_on(fd, direction, p);
    for (unsigned i = 0; i < FAULTS_MAX_HELD; i++) {
        struct held_frame *h = &fd->held[i];
        if (h->p && h->reorder && h->direction == direction) {
            struct pbuf *late = h->p;
            h->p = NULL;
            pass_on(fd, direction, late);
        }
    }
    rearm(fd);
}

static void release_due(struct timer *t, void *arg)
{
    struct faults_dev *fd = arg;
    uint64_t now = platform_monotonic_ns();
    for (unsigned i = 0; i < FAULTS_MAX_HELD; i++) {
        struct held_frame *h = &fd->held[i];
        if (h->p && h->due_ns <= now) {
            struct pbuf *p = h->p;
            h->p = NULL;
            pass_on(fd, h->direction, p);
        }
    }
    rearm(fd);
}

static struct pbuf *corrupt_copy(struct faults_dev *fd, struct pbuf *p, uint64_t where,
                                 uint64_t mask)
{
    if (p->tot_len == 0)
        return p;
    struct pbuf *c = pbuf_clone(p, NULL);
    if (!c)
        return p;                    /* no memory for a private copy: leave the frame intact */
    pbuf_free(p);
    size_t off = (size_t)(where % c->tot_len);
    uint8_t byte;
    pbuf_copy_out(c, off, &byte, 1);
    byte ^= (uint8_t)(1 + mask % 255);   /* never 0: the byte always changes */
    pbuf_copy_in(c, off, &byte, 1);
    fd->stats.corrupted++;
    return c;
}

static void process(struct faults_dev *fd, unsigned direction, struct pbuf *p)
{
    if (!(fd->cfg.directions & direction)) {
        pass_on(fd, direction, p);
        return;
    }
    fd->stats.frames_seen++;
    /* Draw every decision up front: a fixed number of draws per frame keeps seeds replayable. */
    bool drop = roll(fd, fd->cfg.drop_ppm);
    bool corrupt = roll(fd, fd->cfg.corrupt_ppm);
    uint64_t where = next_random(fd), mask = next_random(fd);
    bool duplicate = roll(fd, fd->cfg.duplicate_ppm);
    bool delay = roll(fd, fd->cfg.delay_ppm);
    bool reorder = roll(fd, fd->cfg.reorder_ppm);

    if (drop) {
        fd->stats.dropped++;
        pbuf_free(p);
        return;
    }
    if (corrupt)
        p = corrupt_copy(fd, p, where, mask);
    struct pbuf *twin = NULL;
    if (duplicate && (twin = pbuf_clone(p, NULL)) != NULL)
        fd->stats.duplicated++;
    uint64_t now = platform_monotonic_ns();
    if (delay && hold(fd, direction, p, now + fd->cfg.delay_ns, false)) {
        fd->stats.delayed++;
    } else if (reorder && hold(fd, direction, p, now + (fd->cfg.reorder_hold_ns ?
                                                         fd->cfg.reorder_hold_ns :
                                                         DEFAULT_REORDER_HOLD_NS), true)) {
        fd->stats.reordered++;
    } else {
        emit(fd, direction, p);
    }
    if (twin)
        emit(fd, direction, twin);
}

static int faults_transmit(struct netdev *dev, struct pbuf *p)
{
    process(dev->priv, FAULTS_TX, p);
    return 0;   /* a lossy wire still accepted the frame */
}

static void faults_receive(struct netdev *lower, struct pbuf *p, void *ctx)
{
    process(ctx, FAULTS_RX, p);
}

static void faults_destroy(struct netdev *dev)
{
    struct faults_dev *fd = dev->priv;
    timer_cancel(&fd->timer);
    for (unsigned i = 0; i < FAULTS_MAX_HELD; i++)
        pbuf_free(fd->held[i].p);
    netdev_set_rx_handler(fd->lower, NULL, NULL);
    kfree(fd);
}

static const struct netdev_ops faults_ops = {
    .transmit = faults_transmit,
    .destroy = faults_destroy,
};

void faults_configure(struct netdev *faults_dev, const struct faults_config *cfg)
{
    struct faults_dev *fd = faults_dev->priv;
    fd->cfg = *cfg;
    fd->rng = cfg->seed;
}

struct netdev *faults_wrap(struct netdev *lower, const struct faults_config *cfg)
{
    struct faults_dev *fd = kcalloc(1, sizeof(*fd));
    if (!fd)
        return NULL;
    fd->lower = lower;
    fd->cfg = *cfg;
    fd->rng = cfg->seed;
    timer_init(&fd->timer, release_due, fd);
    netdev_init(&fd->dev, &faults_ops, lower->name, lower->mac, lower->mtu, lower->caps,
                lower->pool, fd);
    netdev_set_rx_handler(lower, faults_receive, fd);
    return &fd->dev;
}

void faults_get_stats(const struct netdev *faults_dev, struct faults_stats *out)
{
    const struct faults_dev *f = faults_dev->priv;
    *out = f->stats;
}
