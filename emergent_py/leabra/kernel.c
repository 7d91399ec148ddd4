/* The per-cycle steps of the native Leabra core (leabra.md 1.5), fused into one C loop.
 *
 * This is the compiled twin of cycle.py (the numpy reference): the same equations, in the same
 * order, with the same float32 operations per formula, for networks without unit-group pools.
 * emergent_py/leabra/kernel.py compiles it with the system C compiler on first use (with
 * -ffp-contract=off, so no fused multiply-adds change the rounding) and calls it through ctypes;
 * without a compiler the numpy steps run instead. Sums over units (layer averages) and the net
 * input are accumulated sequentially, sender by sender, as emergent does, so results agree with
 * the numpy steps to float32 summation order, not bitwise.
 *
 * One call runs n_cycles cycles of one quarter:
 *   send_netin_delta (3.1) -> netin integration (3.3) -> netin stats (4.3) -> FFFB (4.2)
 *   -> activation (4.5, 5.2, 5.5) -> running averages (7) -> act stats.
 */
#include <math.h>
#include <stdint.h>

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
enum { L_NET_AVG, L_NET_MAX, L_ACTS_AVG, L_ACTS_MAX, L_FFI, L_FBI, L_G_I, L_COUNT };

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
} Net;

#define MINF(a, b) ((a) > (b) ? (b) : (a))     /* numpy's minimum/maximum: a NaN in a stays */
#define MAXF(a, b) ((a) < (b) ? (b) : (a))
#define UC(k, i) (uc[(int64_t)(k) * n + (i)])
#define LC(k, l) (lc[(int64_t)(k) * nl + (l)])

static inline real inet(real v, real ge, real gl, real gi, real ee, real el, real ei)
{
    real a = ge * (ee - v), b = gl * (el - v), c = gi * (ei - v);
    return (a + b) + c;
}

static inline real nxx1(real x, const real *uc, int64_t n, int64_t i)
{
    if (x < 0) {
        real e = expf(x * UC(UC_NX_NEG_SGN, i));
        return UC(UC_NX_SIG_MULT_EFF, i) / (e + (real)1);
    }
    if (x < UC(UC_NX_INTERP_RANGE, i))
        return (x / UC(UC_NX_INTERP_RANGE, i)) * UC(UC_NX_INTERP_VAL, i) + UC(UC_NX_SIG_VAL_AT_0, i);
    real gcr = UC(UC_NX_GCR, i);
    real g = (gcr - x / UC(UC_NX_NVAR, i)) / gcr;
    g = MAXF(g, (real)0);
    g = ((real)1 - g * UC(UC_NX_GAIN_COR, i)) * UC(UC_NX_GAIN, i);
    real z = g * x;
    return z / (z + (real)1);
}

static void send_netin_delta(const Net *N, const uint8_t *clamped)
{
    const int64_t n = N->n_units;
    const real *uc = N->uc;
    const real *act = N->u[U_ACT];
    real *sent = N->u[U_ACT_SENT], *pending = N->u[U_PENDING];
    for (int64_t l = 0; l < N->n_layers; l++) {
        const int64_t s0 = N->lay_start[l], ns = N->lay_size[l];
        for (int64_t s = 0; s < ns; s++) {
            const int64_t i = s0 + s;
            real delta;
            if (act[i] > UC(UC_SEND_THR, i)) {
                delta = act[i] - sent[i];
                if (!(fabsf(delta) > UC(UC_DELTA_THR, i)))
                    continue;
                sent[i] = act[i];
            } else if (sent[i] > UC(UC_SEND_THR, i)) {
                delta = -sent[i];
                sent[i] = 0;
            } else {
                continue;
            }
            for (int64_t p = 0; p < N->n_prjns; p++) {
                const int64_t r = N->p_recv[p];
                if (N->p_send[p] != l || clamped[r])
                    continue;
                const int64_t nr = N->lay_size[r];
                const real e = delta * N->p_scale[p];
                const real *w = N->p_wt[p] + s * nr;
                real *out = pending + N->lay_start[r];
                for (int64_t j = 0; j < nr; j++)
                    out[j] += e * w[j];
            }
        }
    }
}

static void netin_integ(const Net *N, const uint8_t *clamped)
{
    const int64_t n = N->n_units;
    const real *uc = N->uc;
    real *net = N->u[U_NET], *net_raw = N->u[U_NET_RAW], *pending = N->u[U_PENDING];
    const real *net_ex = N->u[U_NET_EX];
    for (int64_t l = 0; l < N->n_layers; l++) {
        if (clamped[l])
            continue;
        const int64_t a = N->lay_start[l], b = a + N->lay_size[l];
        for (int64_t i = a; i < b; i++) {
            net_raw[i] += pending[i];
            pending[i] = 0;
            real syn = UC(UC_NET_GAIN, i) * net_raw[i] + net_ex[i];
            real x = net[i] + UC(UC_NET_RATE, i) * (syn - net[i]);
            net[i] = MAXF(x, (real)0);
        }
    }
}

/* per-layer average and max of x into avg/max */
static void layer_stats(const Net *N, const real *x, real *avg, real *max)
{
    const int64_t nl = N->n_layers;
    const real *lc = N->lc;
    for (int64_t l = 0; l < nl; l++) {
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

static void fffb(const Net *N, const uint8_t *clamped)
{
    const int64_t nl = N->n_layers;
    const real *lc = N->lc;
    real *const *L = N->l;
    for (int64_t l = 0; l < nl; l++) {
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
}

static void compute_act(const Net *N, const uint8_t *clamped, int64_t tot_cycle, int64_t *last_spike)
{
    const int64_t n = N->n_units;
    const real *uc = N->uc;
    real *const *U = N->u;
    for (int64_t l = 0; l < N->n_layers; l++) {
        if (clamped[l])
            continue;
        const real gi_lay = N->l[L_G_I][l];
        const int64_t a = N->lay_start[l], b = a + N->lay_size[l];
        for (int64_t i = a; i < b; i++) {
            U[U_GC_I][i] = gi_lay;
            const real ge = U[U_NET][i] * UC(UC_G_BAR_E, i), gi = gi_lay * UC(UC_G_BAR_I, i);
            const real gl = UC(UC_G_L, i), ee = UC(UC_E_E, i), el = UC(UC_E_L, i), ei = UC(UC_E_I, i);
            const real vm = U[U_V_M][i], veq = U[U_V_M_EQ][i];
            const real i0 = inet(vm, ge, gl, gi, ee, el, ei);
            const real i1 = inet(veq, ge, gl, gi, ee, el, ei);
            const real vh = vm + i0 * UC(UC_HALF_RATE_CYC, i);
            const real i2 = inet(vh, ge, gl, gi, ee, el, ei);
            real t0 = vm + i2 * UC(UC_VM_RATE_CYC, i), t1 = veq + i1 * UC(UC_VM_RATE, i);
            t0 = MAXF(MINF(t0, UC(UC_VM_HI, i)), UC(UC_VM_LO, i));
            t1 = MAXF(MINF(t1, UC(UC_VM_HI, i)), UC(UC_VM_LO, i));
            U[U_V_M_EQ][i] = t1;
            if ((double)tot_cycle > N->refr_until[i]) {
                U[U_V_M][i] = t0;
                U[U_I_NET][i] = i2;
            }
            /* activation (5.5): below threshold on v_m_eq, else gelin on g_e */
            const real thr = UC(UC_THR, i);
            real x;
            if (U[U_ACT_RAW][i] < UC(UC_VM_ACT_THR, i) && t1 <= thr)
                x = t1 - thr;
            else
                x = ge - (gi * UC(UC_GE_C_I, i) + UC(UC_GE_C_L, i)) / UC(UC_GE_C_D, i);
            const real a_cur = U[U_ACT_ND][i];
            const real a_new = a_cur + UC(UC_VM_RATE, i) * (nxx1(x, uc, n, i) - a_cur);
            U[U_DA][i] = a_new - a_cur;
            U[U_ACT_RAW][i] = a_new;
            const real act = MAXF(MINF(a_new, UC(UC_ACT_HI, i)), UC(UC_ACT_LO, i));
            U[U_ACT][i] = U[U_ACT_EQ][i] = U[U_ACT_ND][i] = act;
            /* spike bookkeeping on v_m */
            const int spk = U[U_V_M][i] > thr;
            U[U_SPIKE][i] = (real)spk;
            if (spk) {
                U[U_V_M][i] = UC(UC_VM_R, i);
                U[U_I_NET][i] = 0;
                U[U_SPK_T][i] = (real)tot_cycle;
                if (tot_cycle > 0)
                    N->refr_until[i] = (double)(tot_cycle + N->t_r);
                *last_spike = tot_cycle;
            }
        }
    }
}

static void act_post(const Net *N)
{
    const int64_t n = N->n_units;
    const real *uc = N->uc;
    real *const *U = N->u;
    real *ss = U[U_AVG_SS], *s = U[U_AVG_S], *m = U[U_AVG_M], *ru = U[U_RU_AVG_S_LRN], *su = U[U_SU_AVG_S_LRN];
    const real *a = U[U_ACT_ND];
    for (int64_t i = 0; i < n; i++) {
        ss[i] = ss[i] + UC(UC_SS_RATE, i) * (a[i] - ss[i]);
        s[i] = s[i] + UC(UC_S_RATE, i) * (ss[i] - s[i]);
        m[i] = m[i] + UC(UC_M_RATE, i) * (s[i] - m[i]);
        ru[i] = UC(UC_RU_S, i) * s[i] + UC(UC_RU_M, i) * m[i];
        su[i] = N->su_same ? ru[i] : UC(UC_SU_S, i) * s[i] + UC(UC_SU_M, i) * m[i];
    }
}

static int all_finite(const Net *N)
{
    const real *act = N->u[U_ACT], *net = N->u[U_NET], *veq = N->u[U_V_M_EQ];
    for (int64_t i = 0; i < N->n_units; i++)
        if (!isfinite(act[i]) || !isfinite(net[i]) || !isfinite(veq[i]))
            return 0;
    return 1;
}

/* Run n_cycles cycles from tot_cycle0 with the layers flagged in clamped (hard clamped) skipped
 * where emergent skips them. Returns the number of cycles completed: less than n_cycles when a
 * non-finite act, net or v_m_eq appeared (with nan_check), in which case the state is that of
 * the failing cycle. *last_spike is updated to the latest cycle with a v_m reset. */
int64_t run_cycles(const Net *N, const uint8_t *clamped, int64_t n_cycles, int64_t tot_cycle0,
                   int64_t nan_check, int64_t *last_spike)
{
    for (int64_t c = 0; c < n_cycles; c++) {
        const int64_t tc = tot_cycle0 + c;
        send_netin_delta(N, clamped);
        netin_integ(N, clamped);
        layer_stats(N, N->u[U_NET], N->l[L_NET_AVG], N->l[L_NET_MAX]);
        fffb(N, clamped);
        compute_act(N, clamped, tc, last_spike);
        act_post(N);
        layer_stats(N, N->u[U_ACT], N->l[L_ACTS_AVG], N->l[L_ACTS_MAX]);
        if (nan_check && !all_finite(N))
            return c;
    }
    return n_cycles;
}

int64_t kernel_abi(void) { return 1 + 100 * UC_COUNT + 10000 * U_COUNT; }

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

/* XCAL check-mark without the d_thr cut: x - th above th*d_rev, else x*d_rev_ratio */
static inline real xcal_mark(const Con *c, real x, real th)
{
    return x <= th * c->d_rev ? x * c->d_rev_ratio : x - th;
}

/* Accumulate this trial's dWt into dwt (with dwt_norm and momentum); lrate_eff is the learning
 * rate times the receiving layer's lrate_mod (times momentum's lr_comp), in float32. */
void compute_dwt(const Con *c, real lrate_eff)
{
    const int64_t nr = c->n_recv;
    for (int64_t s = 0; s < c->n_send; s++) {
        if (c->s_avg_s[s] < c->lrn_thr && c->s_avg_m[s] < c->lrn_thr)
            continue;                                        /* the sender does not learn */
        const real su = c->s_su[s], sm = c->s_avg_m[s], sfb = c->s_ru[s] - c->s_avg_m[s];
        const uint8_t *mk = c->mask ? c->mask + s * nr : 0;
        real *dwt = c->dwt + s * nr, *dwnorm = c->dwnorm + s * nr, *moment = c->moment + s * nr;
        real row_max = 0;
        for (int64_t r = 0; r < nr; r++) {
            const real srs = su * c->r_ru[r];
            const real lrn = c->set_l_lrn ? c->l_lrn : c->r_avg_l_lrn[r];
            real d;
            if (c->rule_chl) {                               /* XCAL_CHL */
                real bcm = xcal_mark(c, srs, c->r_avg_l[r]) * lrn;
                real err = xcal_mark(c, srs, sm * c->r_avg_m[r]);
                if (c->m_lrn != (real)1)
                    err = err * c->m_lrn;
                d = srs < c->d_thr ? (real)0 : bcm + err;
            } else {                                         /* DELTA_FF_FB */
                const real th = su * c->r_avg_l[r];
                real bcm = srs < c->d_thr ? (real)0 : (srs > th * c->d_rev ? srs - th : srs * c->d_rev_ratio);
                real err = c->feedback ? sfb * c->r_su[r] : su * (c->r_ru[r] - c->r_avg_m[r]);
                bcm = bcm * lrn;
                if (c->m_lrn != (real)1)
                    err = err * c->m_lrn;
                d = bcm + err;
            }
            if (mk && !mk[r])
                d = 0;
            real step;
            if (c->norm_on) {
                real dn = dwnorm[r] * c->norm_decay_dt_c;
                dn = MAXF(dn, fabsf(d));
                dwnorm[r] = dn;
                if (!mk || mk[r])
                    row_max = MAXF(row_max, dn);
                step = c->norm_lr_comp / MAXF(dn, c->norm_min);
            } else {
                step = 1;
            }
            real src = d;
            if (c->mom_on) {
                moment[r] = moment[r] * c->m_dt_c + d;
                src = moment[r];
            }
            step = c->norm_on ? step * src : src;
            dwt[r] = dwt[r] + step * lrate_eff;
        }
        if (c->norm_on && c->norm_send_cons)          /* the shared maximum, for the next trial */
            for (int64_t r = 0; r < nr; r++)
                dwnorm[r] = (!mk || mk[r]) ? row_max : (real)0;
    }
}

/* x ** p rounded once to float32 from float64, as learn.powf computes it */
static inline real powf_round(real x, const Con *c)
{
    double base = (double)x;
    if (c->gain_int) {
        int64_t n = c->gain_int;
        double acc = 0;
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
    return (real)exp(log(base) * (double)c->sig_gain);
}

/* Compute_Weights: fwt += dwt * (soft bound x weight balance), limits, wt = SIG(fwt), dwt = 0;
 * only synapses with dwt != 0 */
void apply_dwt(const Con *c)
{
    const int64_t nr = c->n_recv, n = c->n_send * nr;
    for (int64_t k = 0; k < n; k++) {
        const real dw = c->dwt[k];
        if (dw == 0)
            continue;
        const int64_t r = k % nr;
        const real f0 = c->fwt[k];
        real fac;
        if (c->soft_bound)
            fac = dw > 0 ? ((real)1 - f0) * c->wb_inc[r] : c->wb_dec[r] * f0;
        else
            fac = dw > 0 ? c->wb_inc[r] : c->wb_dec[r];
        real f = fac * dw + f0;
        if (c->has_lo)
            f = MAXF(f, c->wt_lo);
        if (c->has_hi)
            f = MINF(f, c->wt_hi);
        real w;
        if (f <= 0)
            w = 0;
        else if (f >= 1)
            w = 1;
        else {
            real q = (((real)1 - f) * c->sig_off) / f;
            w = (real)1 / (powf_round(q, c) + (real)1);
        }
        c->fwt[k] = f;
        c->wt[k] = w;
        c->dwt[k] = 0;
    }
}

int64_t con_abi(void) { return (int64_t)sizeof(Con); }
