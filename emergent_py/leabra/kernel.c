/* The per-cycle steps of the native Leabra core (leabra.md 1.5), fused into one C loop.
 *
 * This is the compiled twin of cycle.py (the numpy reference): the same equations, in the same
 * order, with the same float32 operations per formula (layers and unit-group pools alike).
 * emergent_py/leabra/kernel.py compiles it with the system C compiler on first use (with
 * -ffp-contract=off, so no fused multiply-adds change the rounding) and calls it through ctypes;
 * without a compiler the numpy steps run instead. Sums over units (layer averages) and the net
 * input are accumulated sequentially, sender by sender, as emergent does, and exp is the C
 * library's expf: the numpy steps do the same, and the two agree bit for bit.
 *
 * One call runs n_cycles cycles of one quarter:
 *   send_netin_delta (3.1) -> netin integration (3.3) -> netin stats (4.3) -> FFFB (4.2)
 *   -> activation (4.5, 5.2, 5.5) -> running averages (7) -> act stats.
 *
 * Threads (run_cycles_pool, compute_dwt_all, apply_dwt_all with a Pool of T threads): the work
 * is split so that every value is computed by exactly one thread with exactly the operations,
 * in exactly the order, of one thread. Net input: a task owns a block of a layer's receivers and
 * adds every sending row into it, senders in order, so each receiver's sum is the one-thread
 * sum; integration, activation, the running averages and the choice of the next cycle's senders
 * are per unit on the same blocks, each block staying with one thread from cycle to cycle. The
 * sums over a layer's or pool's units (averages, FFFB) are one task per layer, in unit order.
 * Learning splits a projection's sender rows (each row is independent). No sum is ever split
 * into per-thread partial sums, so any T gives the bits of T=1 (see cycles_job).
 */
#define _GNU_SOURCE
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef float real;

/* rows of the per-unit constant matrix uc (n_uc x n_units), built by kernel.py */
enum {
    UC_G_BAR_E, UC_G_BAR_I, UC_G_L, UC_E_E, UC_E_L, UC_E_I, UC_VM_LO, UC_VM_HI, UC_VM_RATE,
    UC_VM_RATE_CYC, UC_HALF_RATE_CYC, UC_THR, UC_VM_ACT_THR, UC_ACT_LO, UC_ACT_HI, UC_VM_R,
    UC_GE_C_I, UC_GE_C_L, UC_GE_C_D,
    UC_NX_GAIN, UC_NX_NVAR, UC_NX_GCR, UC_NX_GAIN_COR, UC_NX_NEG_SGN, UC_NX_SIG_MULT_EFF,
    UC_NX_SIG_VAL_AT_0, UC_NX_INTERP_RANGE, UC_NX_INTERP_VAL,
    UC_NET_GAIN, UC_NET_RATE, UC_SS_RATE, UC_S_RATE, UC_M_RATE, UC_RU_S, UC_RU_M, UC_SU_S, UC_SU_M,
    UC_SEND_THR, UC_DELTA_THR,
    UC_COUNT
};

/* rows of the per-layer constant matrix lc (n_lc x n_layers) */
enum { LC_GI, LC_FF, LC_FB, LC_FF0, LC_MVA, LC_FB_DT, LC_INHIB_ON, LC_SIZE, LC_COUNT };

/* unit state rows (pointers into the network's flat arrays), in this order */
enum {
    U_ACT, U_ACT_EQ, U_ACT_ND, U_ACT_RAW, U_NET, U_NET_RAW, U_ACT_SENT, U_V_M, U_V_M_EQ, U_I_NET,
    U_GC_I, U_DA, U_AVG_SS, U_AVG_S, U_AVG_M, U_RU_AVG_S_LRN, U_SU_AVG_S_LRN, U_SPIKE, U_SPK_T,
    U_PENDING, U_NET_EX, U_COUNT
};

/* layer state */
enum { L_NET_AVG, L_NET_MAX, L_ACTS_AVG, L_ACTS_MAX, L_FFI, L_FBI, L_G_I, L_ADAPT_GI, L_COUNT };

/* rows of the per-pool constant matrix pc (PC_COUNT x n_pools): a 4-D layer's unit groups with
 * unit_gp_inhib; a pool's units are contiguous */
enum { PC_GI, PC_FF, PC_FB, PC_FF0, PC_MVA, PC_FB_DT, PC_SIZE, PC_COUNT };
/* pool state rows */
enum { P_FFI, P_FBI, P_G_I, P_ACTS_AVG, P_COUNT };

typedef struct {
    int64_t n_units, n_layers, n_prjns, su_same;
    const int64_t *lay_start, *lay_size;          /* n_layers */
    real *u[U_COUNT];                             /* unit state, n_units each */
    double *refr_until;                           /* last tot_cycle of each unit's refractory v_m */
    const real *uc;                               /* UC_COUNT x n_units */
    real *l[L_COUNT];                             /* layer state, n_layers each */
    const real *lc;                               /* LC_COUNT x n_layers */
    const int64_t *p_send, *p_recv;               /* n_prjns layer indices */
    real *const *p_wt;                            /* n_prjns (n_send x n_recv) sender-major */
    const real *p_scale;                          /* n_prjns scale_eff */
    int64_t t_r;
    int64_t *send_idx;                            /* scratch: n_units sender indices (SendLists) */
    real *send_delta;                             /* scratch: n_units sent deltas (SendLists) */
    int64_t n_pools;
    const int64_t *pool_start, *pool_size, *pool_layer;   /* n_pools */
    const int64_t *lay_pool0, *lay_npools;        /* per layer: its first pool and pool count */
    const real *pc;                               /* PC_COUNT x n_pools */
    real *p[P_COUNT];                             /* pool state, n_pools each */
} Net;

/* ---------------------------------------------------------------------------------------------
 * A persistent pool of T threads (the caller is thread 0): created once per network, woken per
 * call. A call posts its job; every worker that is running takes part, and the caller returns
 * once the job's tasks are done and no worker is inside the job any more: a worker the machine
 * has not scheduled in time simply misses the call (on a shared machine, or with more threads
 * than free cores, nobody waits for it). Idle workers spin for SPIN_NS, then sleep on a
 * condition variable.
 */
#define SPIN_NS 50000
#define MAX_THREADS 1024

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* A count of finished tasks that threads wait on: spin for WAIT_SPIN_NS (a task takes
 * microseconds), then sleep until it is reached. Sleeping rather than spinning on matters where
 * the machine is shared: a spinning thread uses up its process's share of the CPUs, which the
 * thread it waits for needs (Linux shares CPU time by session, autogroup). On the loaded team VM
 * (LARGE, 2 threads, 3 interleaved repeats) sleeping at once measured 254-278 ms/trial, after
 * 30 us 277-324, after 300 us 297-388; 10 us still covers the wait of balanced phases on free
 * cores (about a microsecond), where a sleep and its wake-up would cost more. */
#define WAIT_SPIN_NS 10000
typedef struct {
    int64_t value;                                /* atomic */
    int sleepers;                                 /* atomic */
    pthread_mutex_t mu;
    pthread_cond_t cv;
} Counter;

static void counter_init(Counter *c)
{
    c->value = 0;
    c->sleepers = 0;
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
}

static void counter_free(Counter *c)
{
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->cv);
}

/* until c->value >= need. A sleeper counts itself in (seq_cst) before it looks at the value
 * once more under the mutex; counter_add looks at sleepers after it moved the value (seq_cst):
 * no wake-up is missed. */
static void counter_wait(Counter *c, int64_t need)
{
    if (__atomic_load_n(&c->value, __ATOMIC_ACQUIRE) >= need)
        return;
    const int64_t t0 = now_ns();
    for (int64_t k = 1; __atomic_load_n(&c->value, __ATOMIC_ACQUIRE) < need; k++) {
        if (k % 128 == 0 && now_ns() - t0 > WAIT_SPIN_NS) {
            pthread_mutex_lock(&c->mu);
            __atomic_add_fetch(&c->sleepers, 1, __ATOMIC_SEQ_CST);
            while (__atomic_load_n(&c->value, __ATOMIC_SEQ_CST) < need)
                pthread_cond_wait(&c->cv, &c->mu);
            __atomic_sub_fetch(&c->sleepers, 1, __ATOMIC_SEQ_CST);
            pthread_mutex_unlock(&c->mu);
            return;
        }
    }
}

/* one more finished task; wake the sleepers when the new value is one they may wait for */
static void counter_add(Counter *c, int (*awaited)(const void *, int64_t), const void *ctx)
{
    const int64_t v = __atomic_add_fetch(&c->value, 1, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&c->sleepers, __ATOMIC_SEQ_CST) && awaited(ctx, v)) {
        pthread_mutex_lock(&c->mu);
        pthread_cond_broadcast(&c->cv);
        pthread_mutex_unlock(&c->mu);
    }
}

typedef struct Pool Pool;
static void pool_destroy_(Pool *P);
typedef struct {
    Pool *pool;
    int t;
} Worker;

struct Pool {
    int n;
    pthread_t *tid;
    Worker *workers;
    int gen, quit, active, sleepers;              /* atomic: calls posted, stop, workers in a job, asleep */
    void (*fn)(void *, int);
    void *arg;                                    /* atomic: the call's job, NULL between calls */
    pthread_mutex_t mu;
    pthread_cond_t cv;
};

/* Spin on plain loads, no PAUSE: in a virtual machine a PAUSE loop makes the hypervisor
 * deschedule the virtual CPU (pause-loop exiting), which made every wait of a cycle cost
 * 100-200 us on the team's VM (measured), against about 1 us without. */
static void wait_for_call(Pool *P, int seen)
{
    const int64_t t0 = now_ns();
    for (int64_t k = 1; __atomic_load_n(&P->gen, __ATOMIC_ACQUIRE) == seen; k++) {
        if (k % 256 == 0 && now_ns() - t0 > SPIN_NS) {
            pthread_mutex_lock(&P->mu);
            __atomic_add_fetch(&P->sleepers, 1, __ATOMIC_SEQ_CST);
            while (__atomic_load_n(&P->gen, __ATOMIC_SEQ_CST) == seen)
                pthread_cond_wait(&P->cv, &P->mu);
            __atomic_sub_fetch(&P->sleepers, 1, __ATOMIC_SEQ_CST);
            pthread_mutex_unlock(&P->mu);
            return;
        }
    }
}

/* A sleeper counts itself in (seq_cst) before it looks at gen once more under the mutex, and
 * the poster looks at sleepers after it moved gen (seq_cst): no call is missed by a sleeper. */
static void post(Pool *P)
{
    __atomic_add_fetch(&P->gen, 1, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&P->sleepers, __ATOMIC_SEQ_CST)) {
        pthread_mutex_lock(&P->mu);
        pthread_cond_broadcast(&P->cv);
        pthread_mutex_unlock(&P->mu);
    }
}

static void *worker_main(void *w_)
{
    const Worker *w = (const Worker *)w_;
    Pool *P = w->pool;
    int seen = 0;
    for (;;) {
        wait_for_call(P, seen);
        seen = __atomic_load_n(&P->gen, __ATOMIC_ACQUIRE);
        if (__atomic_load_n(&P->quit, __ATOMIC_ACQUIRE))
            return NULL;
        /* in first, then the job: the caller clears the job before it waits for active == 0,
         * so a worker either sees no job or is waited for (seq_cst on both sides) */
        __atomic_add_fetch(&P->active, 1, __ATOMIC_SEQ_CST);
        void *arg = __atomic_load_n(&P->arg, __ATOMIC_SEQ_CST);
        if (arg)
            P->fn(arg, w->t);
        __atomic_sub_fetch(&P->active, 1, __ATOMIC_RELEASE);
    }
}

/* A pool of n threads (n - 1 workers besides the caller), or NULL when they cannot be started.
 * The workers block every signal: signals (a job's stop request) go to the Python thread. */
Pool *pool_create(int64_t n)
{
    if (n < 1 || n > MAX_THREADS)
        return NULL;
    Pool *P = calloc(1, sizeof *P);
    if (!P)
        return NULL;
    P->n = (int)n;
    P->tid = calloc((size_t)n, sizeof *P->tid);
    P->workers = calloc((size_t)n, sizeof *P->workers);
    pthread_mutex_init(&P->mu, NULL);
    pthread_cond_init(&P->cv, NULL);
    int started = 1;
    if (P->tid && P->workers) {
        sigset_t all, old;
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, &old);
        for (; started < n; started++) {
            P->workers[started].pool = P;
            P->workers[started].t = started;
            if (pthread_create(&P->tid[started], NULL, worker_main, &P->workers[started]))
                break;
        }
        pthread_sigmask(SIG_SETMASK, &old, NULL);
    }
    if (started < n) {                             /* stop the ones that started */
        P->n = started;
        pool_destroy_(P);
        return NULL;
    }
    return P;
}

int64_t pool_size(const Pool *P) { return P ? P->n : 1; }

static void pool_destroy_(Pool *P)
{
    __atomic_store_n(&P->quit, 1, __ATOMIC_SEQ_CST);
    post(P);
    for (int i = 1; i < P->n; i++)
        pthread_join(P->tid[i], NULL);
    pthread_mutex_destroy(&P->mu);
    pthread_cond_destroy(&P->cv);
    free(P->tid);
    free(P->workers);
    free(P);
}

void pool_destroy(Pool *P)
{
    if (P)
        pool_destroy_(P);
}

/* fn(arg, t) on the caller (t = 0) and every worker that is running (see above); fn must return
 * on the caller only once the job's tasks are all done. Returns when no worker is in the job. */
static void pool_run(Pool *P, void (*fn)(void *, int), void *arg)
{
    if (!P || P->n == 1) {
        fn(arg, 0);
        return;
    }
    P->fn = fn;
    __atomic_store_n(&P->arg, arg, __ATOMIC_SEQ_CST);
    post(P);
    fn(arg, 0);
    __atomic_store_n(&P->arg, NULL, __ATOMIC_SEQ_CST);
    for (int64_t k = 1; __atomic_load_n(&P->active, __ATOMIC_SEQ_CST); k++)
        if (k % 256 == 0)
            sched_yield();                     /* a worker finishing a task, or leaving the job */
}

/* "no loop-carried dependence": a synapse row never overlaps the unit arrays it reads, which
 * the compiler cannot prove; with it the learning loops vectorize (same operations per element) */
#if defined(__GNUC__) && !defined(__clang__)
#define IVDEP _Pragma("GCC ivdep")
#else
#define IVDEP
#endif
/* compiled on its own, never specialised for a call site: gcc 12, inlining send_rows where its
 * output is a stack buffer, vectorized it across the senders with gathers, 3x slower */
#if defined(__GNUC__) && !defined(__clang__)
#define ON_ITS_OWN __attribute__((noipa))
#else
#define ON_ITS_OWN __attribute__((noinline))
#endif
#define MINF(a, b) ((a) > (b) ? (b) : (a))     /* numpy's minimum/maximum: a NaN in a stays */
#define MAXF(a, b) ((a) < (b) ? (b) : (a))
#define UC(k, i) (uc[(int64_t)(k) * n + (i)])
#define LC(k, l) (lc[(int64_t)(k) * nl + (l)])

static inline real inet(real v, real ge, real gl, real gi, real ee, real el, real ei)
{
    real a = ge * (ee - v), b = gl * (el - v), c = gi * (ei - v);
    return (a + b) + c;
}

/* pending[r] += e * w[r] for the senders' rows w = wt + idx[k]*nr with e = delta[k]*scale, k in
 * order, for the ncols receivers from out and wt on (a thread's slice of the nr of a row).
 * Four senders per pass over the receivers, added one after another in the same order
 * (so the same roundings as four separate passes) with pending[r] kept in a register. */
ON_ITS_OWN static void send_rows(real *restrict out, const real *wt, int64_t nr, int64_t ncols, const int64_t *idx,
                      const real *delta, int64_t cnt, real scale)
{
    int64_t k = 0;
    for (; k + 4 <= cnt; k += 4) {
        const real e0 = delta[k] * scale, e1 = delta[k + 1] * scale;
        const real e2 = delta[k + 2] * scale, e3 = delta[k + 3] * scale;
        const real *restrict w0 = wt + idx[k] * nr, *restrict w1 = wt + idx[k + 1] * nr;
        const real *restrict w2 = wt + idx[k + 2] * nr, *restrict w3 = wt + idx[k + 3] * nr;
        for (int64_t j = 0; j < ncols; j++)
            out[j] = (((out[j] + e0 * w0[j]) + e1 * w1[j]) + e2 * w2[j]) + e3 * w3[j];
    }
    /* the last one to three senders in one pass as well */
    const real e0 = cnt - k > 0 ? delta[k] * scale : 0, e1 = cnt - k > 1 ? delta[k + 1] * scale : 0;
    const real e2 = cnt - k > 2 ? delta[k + 2] * scale : 0;
    const real *restrict w0 = cnt - k > 0 ? wt + idx[k] * nr : 0, *restrict w1 = cnt - k > 1 ? wt + idx[k + 1] * nr : 0;
    const real *restrict w2 = cnt - k > 2 ? wt + idx[k + 2] * nr : 0;
    if (cnt - k == 3)
        for (int64_t j = 0; j < ncols; j++)
            out[j] = ((out[j] + e0 * w0[j]) + e1 * w1[j]) + e2 * w2[j];
    else if (cnt - k == 2)
        for (int64_t j = 0; j < ncols; j++)
            out[j] = (out[j] + e0 * w0[j]) + e1 * w1[j];
    else if (cnt - k == 1)
        for (int64_t j = 0; j < ncols; j++)
            out[j] = out[j] + e0 * w0[j];
}

typedef struct {
    int64_t layer, a, b;                          /* units [a, b) of layer */
    int owner;                                    /* the thread that takes it first */
} Block;

/* the senders that send this cycle: each block of units chooses its own (select_senders: block
 * q's list of cnt[q] senders at send_idx/send_delta + blocks[q].a; layer l's blocks are
 * lay_blk0[l] .. lay_blk0[l+1], in unit order), then join_senders puts a layer's lists one after
 * another from the layer's first unit on (lay_cnt[l] senders at send_idx/send_delta +
 * lay_start[l]), which the receivers read. One list per sending layer, because send_rows adds
 * four senders per pass over the receivers and a list per block would leave a pass of one to
 * three senders per block: many, with many threads, each block a few senders (on LARGE at 2
 * threads, with long lists, the difference was within the machine's noise). */
struct SendLists {
    const Block *blocks;
    int64_t *cnt, *lay_blk0, *lay_cnt;
};

/* layer l's block lists into one (the order of the senders unchanged; each block's list starts
 * at or after where it goes, so memmove moves it down) */
static void join_senders(const Net *N, struct SendLists *S, int64_t l)
{
    const int64_t s0 = N->lay_start[l];
    int64_t at = s0;
    for (int64_t q = S->lay_blk0[l]; q < S->lay_blk0[l + 1]; q++) {
        const int64_t from = S->blocks[q].a, k = S->cnt[q];
        if (k && from != at) {
            memmove(N->send_idx + at, N->send_idx + from, (size_t)k * sizeof *N->send_idx);
            memmove(N->send_delta + at, N->send_delta + from, (size_t)k * sizeof *N->send_delta);
        }
        at += k;
    }
    S->lay_cnt[l] = at - s0;
}

/* The first half of send_netin_delta: which senders of units [a, b) (of layer l) send, and what:
 * their layer-relative indices and deltas at send_idx/send_delta + a, in unit order; returns how
 * many. Every block of units chooses its own senders, as the last step of its activation task
 * (the units stay with the thread that computed them), and a layer's list is its blocks' lists
 * in order. */
static int64_t select_senders(const Net *N, int64_t l, int64_t a, int64_t b)
{
    const int64_t n = N->n_units;
    const real *uc = N->uc;
    const real *act = N->u[U_ACT];
    real *sent = N->u[U_ACT_SENT];
    const int64_t s0 = N->lay_start[l];
    int64_t *idx = N->send_idx + a;
    real *delta = N->send_delta + a;
    int64_t cnt = 0;
    for (int64_t i = a; i < b; i++) {          /* which senders send, and what */
        if (act[i] > UC(UC_SEND_THR, i)) {
            const real d = act[i] - sent[i];
            if (!(fabsf(d) > UC(UC_DELTA_THR, i)))
                continue;
            sent[i] = act[i];
            idx[cnt] = i - s0;
            delta[cnt++] = d;
        } else if (sent[i] > UC(UC_SEND_THR, i)) {
            idx[cnt] = i - s0;
            delta[cnt++] = -sent[i];
            sent[i] = 0;
        }
    }
    return cnt;
}

/* The second half, for the receivers [j0, j1) of layer r: they get their senders in sender order,
 * as emergent sends (sending layers in order, their projections in order), so every receiver's
 * sum is the same however the receivers are split into blocks. The sums build up in a buffer on
 * the thread's stack, NETIN_CHUNK receivers at a time (each receiver's additions in the same
 * order), and are written back once: the pending line at a block's edge that another thread's
 * block shares is then written once per cycle, not once per four senders. */
#define NETIN_CHUNK 1024
static void send_netin_delta(const Net *N, const struct SendLists *S, int64_t r, int64_t j0, int64_t j1)
{
    real *pending = N->u[U_PENDING] + N->lay_start[r];
    real buf[NETIN_CHUNK] __attribute__((aligned(64)));
    for (int64_t c0 = j0; c0 < j1; c0 += NETIN_CHUNK) {
        const int64_t m = j1 - c0 < NETIN_CHUNK ? j1 - c0 : NETIN_CHUNK;
        int sent = 0;
        for (int64_t l = 0; l < N->n_layers; l++) {
            for (int64_t p = 0; p < N->n_prjns; p++) {
                if (N->p_send[p] != l || N->p_recv[p] != r)
                    continue;
                if (!S->lay_cnt[l])
                    continue;
                if (!sent++)
                    memcpy(buf, pending + c0, (size_t)m * sizeof *buf);
                send_rows(buf, N->p_wt[p] + c0, N->lay_size[r], m, N->send_idx + N->lay_start[l],
                          N->send_delta + N->lay_start[l], S->lay_cnt[l], N->p_scale[p]);
            }
        }
        if (sent)
            memcpy(pending + c0, buf, (size_t)m * sizeof *buf);
    }
}

/* units [a, b) (of one unclamped layer) */
static void netin_integ(const Net *N, int64_t a, int64_t b)
{
    const int64_t n = N->n_units;
    const real *uc = N->uc;
    real *restrict net = N->u[U_NET], *restrict net_raw = N->u[U_NET_RAW], *restrict pending = N->u[U_PENDING];
    const real *restrict net_ex = N->u[U_NET_EX];
    IVDEP for (int64_t i = a; i < b; i++) {
        net_raw[i] += pending[i];
        pending[i] = 0;
        real syn = UC(UC_NET_GAIN, i) * net_raw[i] + net_ex[i];
        real x = net[i] + UC(UC_NET_RATE, i) * (syn - net[i]);
        net[i] = MAXF(x, (real)0);
    }
}

/* layer l0's average and max of x into avg/max */
static void layer_stats(const Net *N, const real *x, real *avg, real *max, int64_t l0)
{
    const int64_t nl = N->n_layers;
    const real *lc = N->lc;
    for (int64_t l = l0; l < l0 + 1; l++) {
        const int64_t a = N->lay_start[l], b = a + N->lay_size[l];
        real sum = 0, mx = x[a];
        for (int64_t i = a; i < b; i++) {
            sum += x[i];
            mx = MAXF(mx, x[i]);
        }
        avg[l] = sum / LC(LC_SIZE, l);
        max[l] = mx;
    }
}

/* FFFB of layer l0 and of its pools */
static void fffb(const Net *N, const uint8_t *clamped, int64_t l0)
{
    const int64_t nl = N->n_layers;
    const real *lc = N->lc;
    real *const *L = N->l;
    for (int64_t l = l0; l < l0 + 1; l++) {
        if (clamped[l])
            continue;
        real avg = L[L_NET_AVG][l];
        real ff_netin = avg + LC(LC_MVA, l) * (L[L_NET_MAX][l] - avg);
        real ffi = ff_netin > LC(LC_FF0, l) ? LC(LC_FF, l) * (ff_netin - LC(LC_FF0, l)) : (real)0;
        real fbi = L[L_FBI][l];
        fbi = fbi + LC(LC_FB_DT, l) * (LC(LC_FB, l) * L[L_ACTS_AVG][l] - fbi);
        real g_i = LC(LC_GI, l) * (ffi + fbi);
        L[L_FFI][l] = ffi;
        L[L_FBI][l] = fbi;
        L[L_G_I][l] = LC(LC_INHIB_ON, l) != 0 ? g_i : (real)0;
    }
    /* pools (unit groups): the same step on each group's net input; the group's g_i is the
     * larger of its own (x adapt_gi) and its layer's */
    const int64_t np_ = N->n_pools;
    const real *pc = N->pc;
    const real *net = N->u[U_NET];
    for (int64_t q = N->lay_pool0[l0]; q < N->lay_pool0[l0] + N->lay_npools[l0]; q++) {
        const int64_t l = N->pool_layer[q];
        if (clamped[l])
            continue;
        const int64_t a = N->pool_start[q], b = a + N->pool_size[q];
        real sum = 0, mx = net[a];
        for (int64_t i = a; i < b; i++) {
            sum += net[i];
            mx = MAXF(mx, net[i]);
        }
        const real avg = sum / pc[PC_SIZE * np_ + q];
        const real ff_netin = avg + pc[PC_MVA * np_ + q] * (mx - avg);
        const real ff0 = pc[PC_FF0 * np_ + q];
        const real ffi = ff_netin > ff0 ? pc[PC_FF * np_ + q] * (ff_netin - ff0) : (real)0;
        real fbi = N->p[P_FBI][q];
        fbi = fbi + pc[PC_FB_DT * np_ + q] * (pc[PC_FB * np_ + q] * N->p[P_ACTS_AVG][q] - fbi);
        const real g_i = pc[PC_GI * np_ + q] * (ffi + fbi);
        N->p[P_FFI][q] = ffi;
        N->p[P_FBI][q] = fbi;
        N->p[P_G_I][q] = MAXF(g_i * L[L_ADAPT_GI][l], L[L_G_I][l]);
    }
}

/* The activation step of one group of units [a, b) with inhibition gi_lay, in three passes so
 * that the first and the last vectorize (the same float operations per unit as one scalar pass):
 * (1) conductances, v_m and v_m_eq, the activation function's argument x, and NXX1 wherever it
 * needs no exp (x >= 0); (2) expf where x < 0, unit by unit (the C library's expf, which has no
 * vector form with the same results); (3) the activation update and the spike bookkeeping.
 * da holds x and val the NXX1 value, or the exp argument where x < 0, between passes; val is a
 * buffer on the thread's stack, ACT_CHUNK units at a time (act_group). */
#define ACT_CHUNK 512
static void act_chunk(const Net *N, int64_t a, int64_t b, real gi_lay, int64_t tot_cycle, int64_t *last_spike)
{
    const int64_t n = N->n_units;
    const real *uc = N->uc;
    real *restrict gc_i = N->u[U_GC_I], *restrict v_m = N->u[U_V_M], *restrict v_m_eq = N->u[U_V_M_EQ];
    real *restrict i_net = N->u[U_I_NET], *restrict act_raw = N->u[U_ACT_RAW], *restrict da = N->u[U_DA];
    real *restrict act = N->u[U_ACT], *restrict act_eq = N->u[U_ACT_EQ], *restrict act_nd = N->u[U_ACT_ND];
    real *restrict spike = N->u[U_SPIKE], *restrict spk_t = N->u[U_SPK_T];
    const real *restrict net = N->u[U_NET];
    double *restrict refr_until = N->refr_until;
    real val_buf[ACT_CHUNK] __attribute__((aligned(64)));
    real *restrict val = val_buf - a;                     /* val[i] for i in [a, b) */
    const double now = (double)tot_cycle;
    IVDEP for (int64_t i = a; i < b; i++) {
        gc_i[i] = gi_lay;
        const real ge = net[i] * UC(UC_G_BAR_E, i), gi = gi_lay * UC(UC_G_BAR_I, i);
        const real gl = UC(UC_G_L, i), ee = UC(UC_E_E, i), el = UC(UC_E_L, i), ei = UC(UC_E_I, i);
        const real vm = v_m[i], veq = v_m_eq[i];
        const real i0 = inet(vm, ge, gl, gi, ee, el, ei);
        const real i1 = inet(veq, ge, gl, gi, ee, el, ei);
        const real vh = vm + i0 * UC(UC_HALF_RATE_CYC, i);
        const real i2 = inet(vh, ge, gl, gi, ee, el, ei);
        real t0 = vm + i2 * UC(UC_VM_RATE_CYC, i), t1 = veq + i1 * UC(UC_VM_RATE, i);
        t0 = MAXF(MINF(t0, UC(UC_VM_HI, i)), UC(UC_VM_LO, i));
        t1 = MAXF(MINF(t1, UC(UC_VM_HI, i)), UC(UC_VM_LO, i));
        v_m_eq[i] = t1;
        const int free_vm = now > refr_until[i];          /* not refractory: v_m moves */
        v_m[i] = free_vm ? t0 : vm;
        i_net[i] = free_vm ? i2 : i_net[i];
        /* activation (5.5): below threshold on v_m_eq, else gelin on g_e */
        const real thr = UC(UC_THR, i);
        const int below = act_raw[i] < UC(UC_VM_ACT_THR, i) && t1 <= thr;
        const real x = below ? t1 - thr : ge - (gi * UC(UC_GE_C_I, i) + UC(UC_GE_C_L, i)) / UC(UC_GE_C_D, i);
        /* NXX1 (5.4) without its exp branch: the linear bridge, else XX1 with the corrected gain */
        const real ir = UC(UC_NX_INTERP_RANGE, i);
        const real bridge = (x / ir) * UC(UC_NX_INTERP_VAL, i) + UC(UC_NX_SIG_VAL_AT_0, i);
        const real gcr = UC(UC_NX_GCR, i);
        real g = (gcr - x / UC(UC_NX_NVAR, i)) / gcr;
        g = MAXF(g, (real)0);
        g = ((real)1 - g * UC(UC_NX_GAIN_COR, i)) * UC(UC_NX_GAIN, i);
        const real z = g * x;
        const real xx1 = z / (z + (real)1);
        da[i] = x;
        val[i] = x < 0 ? x * UC(UC_NX_NEG_SGN, i) : (x < ir ? bridge : xx1);
    }
    for (int64_t i = a; i < b; i++)                        /* the exp branch, x < 0 */
        if (da[i] < 0)
            val[i] = UC(UC_NX_SIG_MULT_EFF, i) / (expf(val[i]) + (real)1);
    int any_spike = 0;
    const real cyc = (real)tot_cycle;
    const double until = (double)(tot_cycle + N->t_r);
    IVDEP for (int64_t i = a; i < b; i++) {
        const real a_cur = act_nd[i];
        const real a_new = a_cur + UC(UC_VM_RATE, i) * (val[i] - a_cur);
        da[i] = a_new - a_cur;
        act_raw[i] = a_new;
        const real ac = MAXF(MINF(a_new, UC(UC_ACT_HI, i)), UC(UC_ACT_LO, i));
        act[i] = act_eq[i] = act_nd[i] = ac;
        /* spike bookkeeping on v_m */
        const int spk = v_m[i] > UC(UC_THR, i);
        spike[i] = (real)spk;
        v_m[i] = spk ? UC(UC_VM_R, i) : v_m[i];
        i_net[i] = spk ? (real)0 : i_net[i];
        spk_t[i] = spk ? cyc : spk_t[i];
        refr_until[i] = spk && tot_cycle > 0 ? until : refr_until[i];
        any_spike |= spk;
    }
    if (any_spike)
        *last_spike = tot_cycle;
}

static void act_group(const Net *N, int64_t a, int64_t b, real gi_lay, int64_t tot_cycle, int64_t *last_spike)
{
    for (int64_t c0 = a; c0 < b; c0 += ACT_CHUNK)
        act_chunk(N, c0, b - c0 < ACT_CHUNK ? b : c0 + ACT_CHUNK, gi_lay, tot_cycle, last_spike);
}

/* the units [a, b) of unclamped layer l, by unit group: the layer itself, or the parts of its
 * pools inside [a, b) */
static void compute_act(const Net *N, int64_t l, int64_t a, int64_t b, int64_t tot_cycle, int64_t *last_spike)
{
    if (!N->lay_npools[l]) {
        act_group(N, a, b, N->l[L_G_I][l], tot_cycle, last_spike);
        return;
    }
    for (int64_t g = 0; g < N->lay_npools[l]; g++) {
        const int64_t q = N->lay_pool0[l] + g;
        const int64_t qa = MAXF(a, N->pool_start[q]), qb = MINF(b, N->pool_start[q] + N->pool_size[q]);
        if (qb > qa)
            act_group(N, qa, qb, N->p[P_G_I][q], tot_cycle, last_spike);
    }
}

static void act_post_range(const Net *N, int64_t i0, int64_t i1)
{
    const int64_t n = N->n_units;
    const real *uc = N->uc;
    real *const *U = N->u;
    real *restrict ss = U[U_AVG_SS], *restrict s = U[U_AVG_S], *restrict m = U[U_AVG_M];
    real *restrict ru = U[U_RU_AVG_S_LRN], *restrict su = U[U_SU_AVG_S_LRN];
    const real *restrict a = U[U_ACT_ND];
    const int su_same = (int)N->su_same;
    IVDEP for (int64_t i = i0; i < i1; i++) {
        const real ss1 = ss[i] + UC(UC_SS_RATE, i) * (a[i] - ss[i]);
        const real s1 = s[i] + UC(UC_S_RATE, i) * (ss1 - s[i]);
        const real m1 = m[i] + UC(UC_M_RATE, i) * (s1 - m[i]);
        const real ru1 = UC(UC_RU_S, i) * s1 + UC(UC_RU_M, i) * m1;
        ss[i] = ss1;
        s[i] = s1;
        m[i] = m1;
        ru[i] = ru1;
        su[i] = su_same ? ru1 : UC(UC_SU_S, i) * s1 + UC(UC_SU_M, i) * m1;
    }
}

/* the average act of the pools of layer l0 (for the next cycle's feedback inhibition), clamped
 * layers' too */
static void pool_act_avg(const Net *N, int64_t l0)
{
    const real *act = N->u[U_ACT];
    for (int64_t q = N->lay_pool0[l0]; q < N->lay_pool0[l0] + N->lay_npools[l0]; q++) {
        const int64_t a = N->pool_start[q], b = a + N->pool_size[q];
        real sum = 0;
        for (int64_t i = a; i < b; i++)
            sum += act[i];
        N->p[P_ACTS_AVG][q] = sum / N->pc[PC_SIZE * N->n_pools + q];
    }
}

static int all_finite_range(const Net *N, int64_t i0, int64_t i1)
{
    const real *act = N->u[U_ACT], *net = N->u[U_NET], *veq = N->u[U_V_M_EQ];
    int ok = 1;                      /* no early exit: the loop vectorizes (x - x is 0 iff finite) */
    for (int64_t i = i0; i < i1; i++)
        ok &= (act[i] - act[i] == 0) & (net[i] - net[i] == 0) & (veq[i] - veq[i] == 0);
    return ok;
}


/* Run n_cycles cycles from tot_cycle0 with the layers flagged in clamped (hard clamped) skipped
 * where emergent skips them. Returns the number of cycles completed: less than n_cycles when a
 * non-finite act, net or v_m_eq appeared (with nan_check), in which case the state is that of
 * the failing cycle. *last_spike is updated to the latest cycle with a v_m reset.
 *
 * A quarter's cycles are a fixed list of tasks in phases, numbered in the order of one thread's
 * work: (A) the first cycle's senders, for each layer; then per cycle (B) net input for each
 * block of receivers (sending into the block, then integrating it), (C) for each layer, its net
 * input stats and FFFB (its pools' too), (D) for each block of units, activation, running
 * averages, the finite check and the block's senders for the next cycle, (E) for each layer, its
 * act stats (its pools' too), the stop decision and its blocks' senders joined into one list.
 * Once every task of the earlier phases is done (a counter of finished tasks), a thread does the
 * tasks of the phase it owns, then any others nobody has taken yet: a thread the machine has descheduled holds back only a task it
 * had taken, not every phase (as a barrier would). A block's values depend on nothing but its
 * own units' earlier values and the finished earlier phases, so any thread doing any block gives
 * the bits of one thread. */
typedef struct {
    const Net *N;
    const uint8_t *clamped;
    int64_t n_cycles, tot_cycle0, nan_check;
    int64_t done_cycles;                          /* atomic; < n_cycles: stopped at a non-finite value
                                                   * in cycle done_cycles (whose tasks all run) */
    int64_t n_send, n_act, per_cycle, total;      /* tasks: blocks of B (at most), blocks of D, one
                                                   * cycle's, all */
    Block *send_blocks;                           /* T x n_send: each thread's copy of this cycle's
                                                   * blocks of B (make_recv_blocks), n_recv[t] of them */
    int64_t n_recv[MAX_THREADS];
    double *lay_cost;                             /* T x n_layers: each thread's scratch for cut_runs */
    const Block *act_blocks;
    struct SendLists S;                           /* over act_blocks */
    real *sent_before;                            /* act_sent before a D task chose the next senders */
    int T;
    int *owner;                                   /* per task of one cycle: the thread it belongs to */
    uint8_t *taken;                               /* atomic, per task: a thread has taken it */
    Counter done;                                 /* tasks finished */
    int bad;                                      /* atomic: a D task saw a non-finite value */
    int64_t spike[MAX_THREADS];                   /* each thread's latest v_m reset */
    int64_t t_start;                              /* (KERNEL_PROFILE: when the call started) */
} CycleJob;

/* The layers' units, one after another, cut into T runs of equal cost (cost[l] per unit of
 * layer l; a layer with cost < 0 is left out): a run is a block per layer it covers, owned by the
 * run's thread; a cut inside a layer falls on a whole 64-byte line of the unit arrays (a multiple
 * of 16 units from the arrays' start), so no two threads write the same line. Returns the
 * number of blocks (at most the layers covered + T - 1). */
static int64_t cut_runs(const Net *N, const double *cost, int T, Block *out)
{
    double total = 0;
    for (int64_t l = 0; l < N->n_layers; l++)
        if (cost[l] >= 0)
            total += cost[l] * (double)N->lay_size[l];
    int64_t k = 0;
    int run = 0;
    double lay_c0 = 0;                                   /* the cost before layer l */
    for (int64_t l = 0; l < N->n_layers; l++) {
        if (cost[l] < 0)
            continue;
        const double w = cost[l];
        const int64_t a = N->lay_start[l], b = a + N->lay_size[l];
        int64_t x = a;
        while (x < b) {
            const double run_end = (double)(run + 1) * total / T;
            int64_t y = b;
            int cut = 0;
            if (run < T - 1 && lay_c0 + w * (double)(b - a) >= run_end) {   /* the run ends in this layer */
                y = w > 0 ? a + (int64_t)llround((run_end - lay_c0) / w) : a;
                y = ((y + 8) / 16) * 16;
                y = y > b ? b : y;
                cut = 1;
            }
            if (y > x) {
                out[k].layer = l;
                out[k].a = x;
                out[k].b = y;
                out[k].owner = run;
                k++;
                x = y;
            }
            run += cut;
        }
        lay_c0 += w * (double)(b - a);
    }
    return k;
}

/* The blocks of D: every layer's units in runs of equal cost (cut_runs; a clamped layer's unit
 * only updates its running averages), so that the blocks fall where the blocks of B fall, up to
 * the cut inside a layer (a block of D reads the net input its block of B wrote: on one thread
 * it stays in that core's cache). */
#define ACT_COST 5.0
static int64_t make_act_blocks(const Net *N, const uint8_t *clamped, int T, double *cost, Block *out)
{
    for (int64_t l = 0; l < N->n_layers; l++)
        cost[l] = clamped[l] ? 1.0 : ACT_COST;
    return cut_runs(N, cost, T, out);
}

/* The blocks of B for one cycle: the unclamped layers' receivers in runs of equal cost
 * (cut_runs), a receiver costing the weights it adds this cycle (one per sender in the lists of
 * its sending layers: the cuts move with the activity) plus RECV_COST for its integration and its
 * share of each pass over the senders. Whole
 * layers where the cuts allow, because a receiver's net input is a sweep over its senders'
 * weight rows, and cutting the rows costs: on the benchmark's LARGE (one thread, every layer cut
 * in two, the same work) net input took 19% longer (rows read in pieces of 1.25 kB instead of
 * 2.5 kB). Every thread computes the same blocks from the same lists (which nothing writes
 * during B) at the start of the phase, so none waits for another to do it. */
#define RECV_COST 4.0
static int64_t make_recv_blocks(const Net *N, const uint8_t *clamped, const int64_t *lay_cnt, int T, double *cost,
                                Block *out)
{
    for (int64_t l = 0; l < N->n_layers; l++)
        cost[l] = clamped[l] ? -1.0 : RECV_COST;
    for (int64_t p = 0; p < N->n_prjns; p++)
        if (cost[N->p_recv[p]] >= 0)
            cost[N->p_recv[p]] += (double)lay_cnt[N->p_send[p]];
    return cut_runs(N, cost, T, out);
}

/* D's last step for block q: its senders for the next cycle (act_sent saved first, so that a stop
 * at a non-finite value can leave act_sent as the failing cycle's) */
static void choose_senders(CycleJob *J, int64_t q)
{
    const Block *bl = &J->act_blocks[q];
    if (J->sent_before)
        memcpy(J->sent_before + bl->a, J->N->u[U_ACT_SENT] + bl->a, (size_t)(bl->b - bl->a) * sizeof(real));
    J->S.cnt[q] = select_senders(J->N, bl->layer, bl->a, bl->b);
}

static void cycle_task(CycleJob *J, int t, int64_t task, int64_t *spike)
{
    const Net *N = J->N;
    const int64_t nl = N->n_layers, n0 = nl;
    if (task < n0) {                                   /* A: before the first cycle, layer by layer */
        J->S.lay_cnt[task] = select_senders(N, task, N->lay_start[task], N->lay_start[task] + N->lay_size[task]);
        return;
    }
    const int64_t c = (task - n0) / J->per_cycle, k = (task - n0) % J->per_cycle;
    const int64_t tc = J->tot_cycle0 + c;
    if (c > __atomic_load_n(&J->done_cycles, __ATOMIC_RELAXED))   /* stopped at an earlier cycle */
        return;
    if (k < J->n_send) {                                              /* B */
        if (k >= J->n_recv[t])                                        /* (fewer blocks this cycle) */
            return;
        const Block *bl = &J->send_blocks[t * J->n_send + k];
        const int64_t s0 = N->lay_start[bl->layer];
        send_netin_delta(N, &J->S, bl->layer, bl->a - s0, bl->b - s0);
        netin_integ(N, bl->a, bl->b);
    } else if (k < J->n_send + nl) {                                  /* C, layer by layer */
        const int64_t l = k - J->n_send;
        layer_stats(N, N->u[U_NET], N->l[L_NET_AVG], N->l[L_NET_MAX], l);
        fffb(N, J->clamped, l);
    } else if (k < J->n_send + nl + J->n_act) {                       /* D */
        const int64_t q = k - J->n_send - nl;
        const Block *bl = &J->act_blocks[q];
        if (!J->clamped[bl->layer])
            compute_act(N, bl->layer, bl->a, bl->b, tc, spike);
        act_post_range(N, bl->a, bl->b);
        if (J->nan_check && !all_finite_range(N, bl->a, bl->b))
            __atomic_store_n(&J->bad, 1, __ATOMIC_RELAXED);
        if (c + 1 < J->n_cycles)
            choose_senders(J, q);
    } else {                                                          /* E, layer by layer */
        const int64_t l = k - J->n_send - nl - J->n_act;
        layer_stats(N, N->u[U_ACT], N->l[L_ACTS_AVG], N->l[L_ACTS_MAX], l);
        pool_act_avg(N, l);
        if (c + 1 < J->n_cycles)
            join_senders(N, &J->S, l);
        if (__atomic_load_n(&J->bad, __ATOMIC_RELAXED)) {
            __atomic_store_n(&J->done_cycles, c, __ATOMIC_RELAXED);
            if (c + 1 < J->n_cycles)                               /* undo the choice of senders */
                memcpy(N->u[U_ACT_SENT] + N->lay_start[l], J->sent_before + N->lay_start[l],
                       (size_t)N->lay_size[l] * sizeof(real));
        }
    }
}

/* the tasks [*a, *b) of phase p: 0 is A, then B, C, D, E of every cycle (0: no more phases) */
static int phase_range(const CycleJob *J, int64_t p, int64_t *a, int64_t *b)
{
    const int64_t nl = J->N->n_layers, n0 = nl;
    if (p == 0) {
        *a = 0, *b = n0;
        return 1;
    }
    const int64_t c = (p - 1) / 4, part = (p - 1) % 4;
    if (c >= J->n_cycles)
        return 0;
    const int64_t len[4] = {J->n_send, nl, J->n_act, nl};
    int64_t x = n0 + c * J->per_cycle;
    for (int64_t i = 0; i < part; i++)
        x += len[i];
    *a = x, *b = x + len[part];
    return 1;
}

/* whether a thread waits for the count of finished tasks to reach v: the start of a phase, or all */
static int phase_awaited(const void *ctx, int64_t v)
{
    const CycleJob *J = (const CycleJob *)ctx;
    if (v >= J->total)
        return 1;
    const int64_t nl = J->N->n_layers, n0 = nl;
    if (v <= n0)
        return v == n0;
    const int64_t k = (v - n0) % J->per_cycle;
    return k == 0 || k == J->n_send || k == J->n_send + nl || k == J->n_send + nl + J->n_act;
}

/* the thread that takes task first (in thread t's view: its blocks of B this cycle) */
static int owner_of(const CycleJob *J, int t, int64_t task)
{
    const int64_t nl = J->N->n_layers;
    if (task < nl)
        return (int)(task % J->T);
    const int64_t k = (task - nl) % J->per_cycle;
    if (k < J->n_send)
        return k < J->n_recv[t] ? J->send_blocks[t * J->n_send + k].owner : (int)(k % J->T);
    return J->owner[k];
}

static int take(CycleJob *J, int64_t task)
{
    return !__atomic_load_n(&J->taken[task], __ATOMIC_RELAXED)
           && !__atomic_exchange_n(&J->taken[task], 1, __ATOMIC_ACQ_REL);
}

#ifdef KERNEL_PROFILE
/* Where the threads' time goes (benchmarks/profile_threads.py builds the kernel with
 * -DKERNEL_PROFILE): per thread, ns in the tasks of each phase (PROF_A .. PROF_E), waiting for
 * each phase to start (PROF_WAIT_B .. PROF_WAIT_E; B's after A included), and from the call's
 * start to a worker joining it (PROF_JOIN). */
enum { PROF_A, PROF_B, PROF_C, PROF_D, PROF_E, PROF_WAIT_B, PROF_WAIT_C, PROF_WAIT_D, PROF_WAIT_E, PROF_JOIN,
       PROF_COUNT };
static int64_t kprof[MAX_THREADS][PROF_COUNT];
void kernel_profile(int64_t *out, int64_t n_threads, int64_t reset)
{
    memcpy(out, kprof, (size_t)n_threads * sizeof kprof[0]);
    if (reset)
        memset(kprof, 0, sizeof kprof);
}
static int prof_phase(const CycleJob *J, int64_t task)
{
    const int64_t nl = J->N->n_layers;
    if (task < nl)
        return PROF_A;
    const int64_t k = (task - nl) % J->per_cycle;
    return k < J->n_send ? PROF_B : k < J->n_send + nl ? PROF_C : k < J->n_send + nl + J->n_act ? PROF_D : PROF_E;
}
#define PROF_START const int64_t prof_t0 = now_ns();
#define PROF_ADD(slot) kprof[t][slot] += now_ns() - prof_t0;
#else
#define PROF_START
#define PROF_ADD(slot)
#endif

/* Phase by phase (see above): the thread's own tasks, then those nobody has taken (from the
 * phase's end backwards, away from where the owner works); a thread that starts late skips the
 * phases already done. */
static void cycles_job(void *arg, int t)
{
    CycleJob *J = (CycleJob *)arg;
    int64_t spike = J->spike[t], a, b;
#ifdef KERNEL_PROFILE
    kprof[t][PROF_JOIN] += now_ns() - J->t_start;
#endif
    for (int64_t p = 0; phase_range(J, p, &a, &b); p++) {
        if (__atomic_load_n(&J->done.value, __ATOMIC_ACQUIRE) >= b)
            continue;
        {
            PROF_START
            counter_wait(&J->done, a);
            PROF_ADD(p == 0 ? PROF_WAIT_B : PROF_WAIT_B + (p - 1) % 4)
        }
        if (p % 4 == 1)                            /* B: this cycle's blocks, from its senders */
            J->n_recv[t] = make_recv_blocks(J->N, J->clamped, J->S.lay_cnt, J->T, J->lay_cost + t * J->N->n_layers,
                                            J->send_blocks + t * J->n_send);
        for (int64_t task = a; task < b; task++)
            if (owner_of(J, t, task) == t && take(J, task)) {
                PROF_START
                cycle_task(J, t, task, &spike);
                counter_add(&J->done, phase_awaited, J);
                PROF_ADD(prof_phase(J, task))
            }
        for (int64_t task = b - 1; task >= a; task--)
            if (take(J, task)) {
                PROF_START
                cycle_task(J, t, task, &spike);
                counter_add(&J->done, phase_awaited, J);
                PROF_ADD(prof_phase(J, task))
            }
    }
    J->spike[t] = spike;
    if (t == 0)                                  /* the caller returns once every task is done */
        counter_wait(&J->done, J->total);
}

static void cycle_job_free(CycleJob *J, Block *blocks)
{
    if (J) {
        free(J->owner);
        free(J->taken);
        free(J->S.cnt);
        free(J->S.lay_blk0);
        free(J->S.lay_cnt);
        free(J->lay_cost);
        free(J->sent_before);
    }
    free(blocks);
    free(J);
}

/* the owner of the block of D that holds layer l's middle unit: C and E of layer l (its sums)
 * read its units where most of them are */
static int middle_owner(const CycleJob *J, int64_t l)
{
    const int64_t mid = J->N->lay_start[l] + J->N->lay_size[l] / 2;
    for (int64_t q = J->S.lay_blk0[l]; q < J->S.lay_blk0[l + 1]; q++)
        if (J->act_blocks[q].a <= mid && mid < J->act_blocks[q].b)
            return J->act_blocks[q].owner;
    return (int)(l % J->T);
}

/* Run n_cycles cycles on the threads of pool (NULL or a pool of 1: this thread alone); the
 * same result, bit for bit, for any number of threads (see the top of this file). Returns the
 * cycles completed (fewer at a non-finite value, with nan_check), -1 without memory. */
int64_t run_cycles_pool(Pool *pool, const Net *N, const uint8_t *clamped, int64_t n_cycles, int64_t tot_cycle0,
                        int64_t nan_check, int64_t *last_spike)
{
    if (n_cycles <= 0)
        return 0;
    const int T = pool && pool->n > 1 ? pool->n : 1;
    const int64_t nl = N->n_layers;
    CycleJob *J = calloc(1, sizeof *J);
    int64_t free_layers = 0;
    for (int64_t l = 0; l < nl; l++)
        free_layers += !clamped[l];
    const int64_t max_recv = free_layers + T - 1;     /* each cut between runs adds at most one block */
    Block *blocks = malloc(sizeof *blocks * (size_t)(T * max_recv + nl + T));
    if (!J || !blocks) {
        cycle_job_free(J, blocks);
        return -1;
    }
    J->N = N;
    J->clamped = clamped;
    J->n_cycles = J->done_cycles = n_cycles;
    J->tot_cycle0 = tot_cycle0;
    J->nan_check = nan_check;
    J->n_send = max_recv;
    J->send_blocks = blocks;
    J->act_blocks = blocks + T * max_recv;
    J->lay_cost = malloc(sizeof *J->lay_cost * (size_t)(T * nl + 1));
    if (!J->lay_cost) {
        cycle_job_free(J, blocks);
        return -1;
    }
    J->n_act = make_act_blocks(N, clamped, T, J->lay_cost, blocks + T * max_recv);
    J->per_cycle = J->n_send + nl + J->n_act + nl;
    J->total = nl + n_cycles * J->per_cycle;
    J->T = T;
    J->owner = malloc(sizeof *J->owner * (size_t)J->per_cycle);
    J->taken = calloc((size_t)J->total, 1);
    J->S.blocks = J->act_blocks;
    J->S.cnt = calloc((size_t)J->n_act, sizeof *J->S.cnt);
    J->S.lay_blk0 = calloc((size_t)nl + 1, sizeof *J->S.lay_blk0);
    J->S.lay_cnt = calloc((size_t)nl, sizeof *J->S.lay_cnt);
    J->sent_before = nan_check && n_cycles > 1 ? malloc(sizeof(real) * (size_t)N->n_units) : NULL;
    if (!J->owner || !J->taken || !J->S.cnt || !J->S.lay_blk0 || !J->S.lay_cnt || (nan_check && n_cycles > 1 && !J->sent_before)) {
        cycle_job_free(J, blocks);
        return -1;
    }
    for (int64_t q = 0, l = 0; l <= nl; l++) {     /* every layer has at least one D block */
        while (q < J->n_act && J->act_blocks[q].layer < l)
            q++;
        J->S.lay_blk0[l] = q;
    }
    for (int64_t k = 0; k < J->per_cycle; k++) {
        const int64_t d = k - J->n_send - nl;
        J->owner[k] = k < J->n_send ? -1                   /* (owner_of: this cycle's blocks) */
                    : k < J->n_send + nl ? middle_owner(J, k - J->n_send)
                    : d < J->n_act ? J->act_blocks[d].owner
                    : middle_owner(J, d - J->n_act);
    }
    counter_init(&J->done);
    for (int t = 0; t < T; t++)
        J->spike[t] = *last_spike;
#ifdef KERNEL_PROFILE
    J->t_start = now_ns();
#endif
    pool_run(T > 1 ? pool : NULL, cycles_job, J);
    for (int t = 0; t < T; t++)
        *last_spike = J->spike[t] > *last_spike ? J->spike[t] : *last_spike;
    const int64_t done = J->done_cycles;
    counter_free(&J->done);
    cycle_job_free(J, blocks);
    return done;
}

int64_t run_cycles(const Net *N, const uint8_t *clamped, int64_t n_cycles, int64_t tot_cycle0,
                   int64_t nan_check, int64_t *last_spike)
{
    return run_cycles_pool(NULL, N, clamped, n_cycles, tot_cycle0, nan_check, last_spike);
}

int64_t kernel_abi(void) { return 1 + 100 * UC_COUNT + 10000 * U_COUNT + 1000000 * 6; }

/* ---------------------------------------------------------------------------------------------
 * Learning (leabra.md 9.3-9.6): the compiled twin of learn.py's raw_dwt / accumulate_dwt /
 * apply_dwt for one projection, synapses sender-major (n_send x n_recv), one pass per synapse.
 */
typedef struct {
    int64_t n_send, n_recv;
    int64_t rule_chl, feedback, set_l_lrn, norm_on, norm_send_cons, mom_on, soft_bound, has_lo, has_hi;
    int64_t gain_int;                          /* the SIG gain when an integer in 1..16, else 0 */
    real lrn_thr, d_thr, d_rev, d_rev_ratio, l_lrn, m_lrn, norm_decay_dt_c, norm_min, norm_lr_comp;
    real m_dt_c, sig_gain, sig_off, wt_lo, wt_hi;
    const uint8_t *mask;                       /* connectivity (n_send x n_recv) or NULL: full */
    /* sending and receiving units' slices of the network's arrays */
    const real *s_su, *s_ru, *s_avg_s, *s_avg_m;
    const real *r_su, *r_ru, *r_avg_m, *r_avg_l, *r_avg_l_lrn;
    real *wt, *fwt, *dwt, *dwnorm, *moment;
    const real *wb_inc, *wb_dec;               /* n_recv */
} Con;

/* One sender's row of dWt. The flags are the con spec's; compute_dwt calls this with literal
 * flags for the default con spec, so the compiler specializes (and vectorizes) that case, and
 * with the runtime flags otherwise: one formula, two instantiations. */
static inline void dwt_row(const Con *c, int64_t s, real lrate_eff, const int chl, const int norm,
                           const int mom, const int masked, const int shared)
{
    const int64_t nr = c->n_recv;
    const real su = c->s_su[s], sm = c->s_avg_m[s], sfb = c->s_ru[s] - c->s_avg_m[s];
    const uint8_t *mk = masked ? c->mask + s * nr : 0;
    real *restrict dwt = c->dwt + s * nr, *restrict dwnorm = c->dwnorm + s * nr;
    real *restrict moment = c->moment + s * nr;
    const real *r_ru = c->r_ru, *r_avg_l = c->r_avg_l, *r_avg_m = c->r_avg_m, *r_su = c->r_su;
    const real *r_lrn = c->r_avg_l_lrn;
    const int set_l = (int)c->set_l_lrn, m_one = c->m_lrn == (real)1, feedback = (int)c->feedback;
    /* constants in locals and every load unconditional: the loop then has no branches */
    const real l_lrn = c->l_lrn, m_lrn = c->m_lrn, d_thr = c->d_thr, d_rev = c->d_rev;
    const real d_rev_ratio = c->d_rev_ratio, decay = c->norm_decay_dt_c, norm_min = c->norm_min;
    const real lr_comp = c->norm_lr_comp, m_dt_c = c->m_dt_c;
    /* SEND_CONS: every dwnorm of the row becomes the row's maximum afterwards, so the loop only
     * tracks that maximum (as bits: dwnorm >= 0, where integer order is float order, and an
     * integer maximum vectorizes) and the row is filled once at the end */
    uint32_t row_max_bits = 0;
    IVDEP for (int64_t r = 0; r < nr; r++) {
        const real ru = r_ru[r], avg_l = r_avg_l[r], avg_m = r_avg_m[r], lrn_r = r_lrn[r];
        const real srs = su * ru;
        const real lrn = set_l ? l_lrn : lrn_r;
        real d;
        if (chl) {                                           /* XCAL_CHL: xcal(srs, avg_l), xcal(srs, srm) */
            const real srm = sm * avg_m;
            const real bcm = (srs <= avg_l * d_rev ? srs * d_rev_ratio : srs - avg_l) * lrn;
            real err = srs <= srm * d_rev ? srs * d_rev_ratio : srs - srm;
            err = m_one ? err : err * m_lrn;
            d = srs < d_thr ? (real)0 : bcm + err;
        } else {                                             /* DELTA_FF_FB */
            const real th = su * avg_l, rsu = r_su[r];
            real bcm = srs < d_thr ? (real)0 : (srs > th * d_rev ? srs - th : srs * d_rev_ratio);
            real err = feedback ? sfb * rsu : su * (ru - avg_m);
            bcm = bcm * lrn;
            err = m_one ? err : err * m_lrn;
            d = bcm + err;
        }
        if (masked)
            d = mk[r] ? d : (real)0;
        real step = 1;
        if (norm) {
            real dn = dwnorm[r] * decay;
            const real ad = fabsf(d);
            dn = dn < ad ? ad : dn;
            if (shared) {
                uint32_t bits;
                memcpy(&bits, &dn, sizeof bits);
                row_max_bits = row_max_bits < bits ? bits : row_max_bits;
            } else {
                dwnorm[r] = dn;
            }
            step = lr_comp / (dn < norm_min ? norm_min : dn);
        }
        real src = d;
        if (mom) {
            src = moment[r] * m_dt_c + d;
            moment[r] = src;
        }
        step = norm ? step * src : src;
        dwt[r] = dwt[r] + step * lrate_eff;
    }
    if (shared) {
        real row_max;
        memcpy(&row_max, &row_max_bits, sizeof row_max);
        for (int64_t r = 0; r < nr; r++)
            dwnorm[r] = row_max;
    } else if (norm && c->norm_send_cons) {                  /* the shared maximum, for the next trial */
        real row_max = 0;
        for (int64_t r = 0; r < nr; r++)
            if (!masked || mk[r])
                row_max = MAXF(row_max, dwnorm[r]);
        for (int64_t r = 0; r < nr; r++)
            dwnorm[r] = (!masked || mk[r]) ? row_max : (real)0;
    }
}

/* Accumulate this trial's dWt into dwt (with dwt_norm and momentum) for the sender rows
 * [s0, s1); lrate_eff is the learning rate times the receiving layer's lrate_mod (times
 * momentum's lr_comp), in float32. */
static void dwt_rows(const Con *c, real lrate_eff, int64_t s0, int64_t s1)
{
    /* the 8.6 defaults (norm at SEND_CONS level, momentum, full connectivity) get a copy of the
     * row loop with literal flags, which vectorizes; XCAL_CHL or DELTA_FF_FB */
    const int standard = c->norm_on && c->norm_send_cons && c->mom_on && !c->mask;
    const int shared = c->norm_on && c->norm_send_cons && !c->mask;
    for (int64_t s = s0; s < s1; s++) {
        if (c->s_avg_s[s] < c->lrn_thr && c->s_avg_m[s] < c->lrn_thr)
            continue;                                        /* the sender does not learn */
        if (standard && c->rule_chl)
            dwt_row(c, s, lrate_eff, 1, 1, 1, 0, 1);
        else if (standard)
            dwt_row(c, s, lrate_eff, 0, 1, 1, 0, 1);
        else
            dwt_row(c, s, lrate_eff, (int)c->rule_chl, (int)c->norm_on, (int)c->mom_on, c->mask != 0, shared);
    }
}

void compute_dwt(const Con *c, real lrate_eff)
{
    dwt_rows(c, lrate_eff, 0, c->n_send);
}

/* x ** p rounded once to float32 from float64, as learn.powf computes it: binary powering for
 * an integer p in 1..16 (gain_int), else exp(p * log(x)) */
static inline real powf_round(real x, int64_t gain_int, real gain)
{
    double base = (double)x;
    if (gain_int) {
        int64_t n = gain_int;
        double acc = 1;
        int have = 0;
        while (n) {
            if (n & 1) {
                acc = have ? acc * base : base;
                have = 1;
            }
            n >>= 1;
            if (n)
                base = base * base;
        }
        return (real)acc;
    }
    return (real)exp(log(base) * (double)gain);
}

/* c ? a : b by bits: the compiler turns a plain select between a new value and the stored one
 * into a conditional store, which stops vectorization */
static inline real select_bits(int c, real a, real b)
{
    uint32_t ia, ib, r, m = -(uint32_t)c;
    real out;
    memcpy(&ia, &a, sizeof ia);
    memcpy(&ib, &b, sizeof ib);
    r = (ia & m) | (ib & ~m);
    memcpy(&out, &r, sizeof out);
    return out;
}

/* x^6 inside SIG for the default gain, as emergent evaluates it: float products left to right
 * (five roundings; learn.sig_power says how this was measured). Vectorizes. */
static inline real sig_pow6(real x)
{
    return x * x * x * x * x * x;
}

/* One sender's row of Compute_Weights; apply_dwt passes a literal gain for the default (6) so
 * the powering unrolls and the loop vectorizes. Synapses with dwt == 0 keep fwt and wt. */
static inline void apply_row(const Con *c, int64_t s, const int64_t gain_int)
{
    const int64_t nr = c->n_recv;
    real *restrict wt = c->wt + s * nr, *restrict fwt = c->fwt + s * nr, *restrict dwt = c->dwt + s * nr;
    const real *wb_inc = c->wb_inc, *wb_dec = c->wb_dec;
    const int soft = (int)c->soft_bound, has_lo = (int)c->has_lo, has_hi = (int)c->has_hi;
    const real lo = c->wt_lo, hi = c->wt_hi, off = c->sig_off, gain = c->sig_gain;
    IVDEP for (int64_t r = 0; r < nr; r++) {
        const real dw = dwt[r], f0 = fwt[r], inc = wb_inc[r], dec = wb_dec[r], w0 = wt[r];
        const real fac = soft ? (dw > 0 ? ((real)1 - f0) * inc : dec * f0) : (dw > 0 ? inc : dec);
        real f = fac * dw + f0;
        f = has_lo ? MAXF(f, lo) : f;
        f = has_hi ? MINF(f, hi) : f;
        const real q = (((real)1 - f) * off) / f;
        real w = (real)1 / ((gain_int == 6 ? sig_pow6(q) : powf_round(q, gain_int, gain)) + (real)1);
        w = f <= 0 ? (real)0 : (f >= 1 ? (real)1 : w);
        const int nz = dw != 0;
        fwt[r] = select_bits(nz, f, f0);
        wt[r] = select_bits(nz, w, w0);
        dwt[r] = 0;
    }
}

/* Compute_Weights: fwt += dwt * (soft bound x weight balance), limits, wt = SIG(fwt), dwt = 0;
 * only synapses with dwt != 0 change; sender rows [s0, s1) */
static void apply_rows(const Con *c, int64_t s0, int64_t s1)
{
    for (int64_t s = s0; s < s1; s++) {
        if (c->gain_int == 6)
            apply_row(c, s, 6);
        else
            apply_row(c, s, c->gain_int);
    }
}

void apply_dwt(const Con *c)
{
    apply_rows(c, 0, c->n_send);
}

/* fn(ctx, i) for every i in [0, n) on the threads of pool (NULL: this thread alone), each i
 * taken from an atomic counter by whichever thread is free; returns once all are done. */
typedef struct {
    void (*fn)(void *, int64_t);
    void *ctx;
    int64_t total, next;                       /* next: atomic, the next i to take */
    Counter done;                              /* i finished */
} ForJob;

static int for_all_awaited(const void *ctx, int64_t v)
{
    return v >= ((const ForJob *)ctx)->total;
}

static void for_job(void *arg, int t)
{
    ForJob *J = (ForJob *)arg;
    for (;;) {
        const int64_t i = __atomic_fetch_add(&J->next, 1, __ATOMIC_RELAXED);
        if (i >= J->total)
            break;
        J->fn(J->ctx, i);
        counter_add(&J->done, for_all_awaited, J);
    }
    if (t == 0)                                  /* the caller returns once every i is done */
        counter_wait(&J->done, J->total);
}

static void parallel_for(Pool *pool, int64_t n, void (*fn)(void *, int64_t), void *ctx)
{
    if (!pool || pool->n == 1) {
        for (int64_t i = 0; i < n; i++)
            fn(ctx, i);
        return;
    }
    ForJob J;
    J.fn = fn;
    J.ctx = ctx;
    J.total = n;
    J.next = 0;
    counter_init(&J.done);
    pool_run(pool, for_job, &J);
    counter_free(&J.done);
}

/* Every learning projection's dWt or weight update: the projections' sender rows in blocks, one
 * block per task (rows are independent: the same bits for any T and any thread doing any block). */
typedef struct {
    const Con *const *cons;
    const real *lrates;                        /* NULL: the weight update */
    int64_t n, per_block;                      /* projections, rows per block */
    const int64_t *first;                      /* n + 1: each projection's first block */
} LearnJob;

static void learn_block(void *arg, int64_t task)
{
    const LearnJob *J = (const LearnJob *)arg;
    int64_t i = 0;
    while (J->first[i + 1] <= task)
        i++;
    const Con *c = J->cons[i];
    const int64_t s0 = (task - J->first[i]) * J->per_block;
    const int64_t s1 = s0 + J->per_block < c->n_send ? s0 + J->per_block : c->n_send;
    if (J->lrates)
        dwt_rows(c, J->lrates[i], s0, s1);
    else
        apply_rows(c, s0, s1);
}

static void learn_all(Pool *pool, const Con *const *cons, const real *lrates, int64_t n)
{
    const int T = pool && pool->n > 1 ? pool->n : 1;
    int64_t *first = malloc(sizeof *first * (size_t)(n + 1)), most = 1;
    for (int64_t i = 0; i < n; i++)
        most = cons[i]->n_send > most ? cons[i]->n_send : most;
    LearnJob J;
    J.cons = cons;
    J.lrates = lrates;
    J.n = n;
    J.per_block = T == 1 ? most : (most + 8 * T - 1) / (8 * T);
    if (!first) {                              /* no memory for the task list: one thread */
        for (int64_t i = 0; i < n; i++)
            lrates ? dwt_rows(cons[i], lrates[i], 0, cons[i]->n_send) : apply_rows(cons[i], 0, cons[i]->n_send);
        return;
    }
    first[0] = 0;
    for (int64_t i = 0; i < n; i++)
        first[i + 1] = first[i] + (cons[i]->n_send + J.per_block - 1) / J.per_block;
    J.first = first;
    parallel_for(T > 1 ? pool : NULL, first[n], learn_block, &J);
    free(first);
}

void compute_dwt_all(Pool *pool, const Con *const *cons, const real *lrates, int64_t n)
{
    learn_all(pool, cons, lrates, n);
}

void apply_dwt_all(Pool *pool, const Con *const *cons, int64_t n)
{
    learn_all(pool, cons, NULL, n);
}

/* The sums of the weight balance (leabra.md 9.7) of one projection: per receiver, the count of
 * its weights >= thr (connected ones only) and their sum, in sender order with one rounding per
 * addition, as learn.wt_balance sums. Receivers in blocks of whole 64-byte lines of tot, two per
 * thread, one block per task: any thread doing any block gives the same bits. */
typedef struct {
    const Con *c;
    real thr;
    real *tot;
    int64_t *cnt;
    int64_t width;                             /* receivers per block */
} WtBalJob;

static void wt_bal_block(void *arg, int64_t task)
{
    const WtBalJob *J = (const WtBalJob *)arg;
    const Con *c = J->c;
    const int64_t nr = c->n_recv, r0 = task * J->width, r1 = r0 + J->width < nr ? r0 + J->width : nr;
    real *restrict tot = J->tot;
    int64_t *restrict cnt = J->cnt;
    const real thr = J->thr;
    for (int64_t r = r0; r < r1; r++) {
        tot[r] = 0;
        cnt[r] = 0;
    }
    for (int64_t s = 0; s < c->n_send; s++) {
        const real *w = c->wt + s * nr;
        const uint8_t *mk = c->mask ? c->mask + s * nr : NULL;
        for (int64_t r = r0; r < r1; r++) {
            const int use = w[r] >= thr && (!mk || mk[r]);
            tot[r] = tot[r] + (use ? w[r] : (real)0);
            cnt[r] += use;
        }
    }
}

void wt_bal_sums(Pool *pool, const Con *c, real thr, real *tot, int64_t *cnt)
{
    const int T = pool && pool->n > 1 ? pool->n : 1;
    int64_t width = T == 1 ? c->n_recv : (c->n_recv + 2 * T - 1) / (2 * T);
    width = T == 1 ? width : (width + 15) / 16 * 16;
    width = width < 1 ? 1 : width;
    WtBalJob J = {c, thr, tot, cnt, width};
    parallel_for(pool, (c->n_recv + width - 1) / width, wt_bal_block, &J);
}

int64_t con_abi(void) { return (int64_t)sizeof(Con); }
