/* Reference C loops for benchmarks/bench_push.py: the fastest plain C of pmc's push on this
 * machine, for every case the benchmark times.
 *
 * The same step as pmc/_kernels/push.py (leapfrog, 1D, periodic box):
 *
 *     F = F(x)                      (once per call; afterwards the force of the step before)
 *     repeat: p0 += dt/2 F;  x += dt v(p);  periodic wrap of x into [lo, hi);  F = F(x);
 *             p0 += dt/2 F
 *
 * The wrap is pmc's: the one-box image by two selects (x - L if x >= hi, then + L if x < lo), and
 * for what that leaves outside (never, here) x - L floor((x - lo) / L) corrected for rounding.
 * Free flight has no kicks: x += dt p / m and the wrap.
 *
 * Three variants of every case; bench_push.py reports the fastest as the baseline:
 *   *_pass   one pass over all markers per step (one parallel loop per step): the arrays cross
 *            memory once per step, the force is evaluated twice per step;
 *   *_fused  each marker pushed `steps` steps in an inner loop while it is in registers: one
 *            pass over memory per call, steps + 1 force evaluations per marker (the steps loop
 *            inside keeps gcc from vectorising over markers);
 *   *_block  blocks of SUB markers (x, p and the force of the block in L1), steps outer and
 *            markers inner, in two loops per step (kick-drift-wrap, force-kick), the layout of
 *            pmc's push_blocks: one pass over memory per call and vectorised loops.
 *
 * Forces: none (free flight), uniform F0, harmonic -k (x - c), the Gaussian barrier
 * H s / w exp(-s^2/2) with s = (x - c) / w, and the cubic-per-cell table pmc.potentials.Gridded
 * builds (coefficients c0..c3 of t = (x - x0)/h - i for cell i, four doubles per cell, zero force
 * outside the table). Bands: parabolic (1D1V) and Kane (1D3V: v_x = p0 / (m (1 + 2 alpha eps))).
 *
 * Every function has the signature
 *     void f(double *x, double *p, long n, int steps, double dt, const band_t *band,
 *            double lo, double hi, const void *prm)
 * with x (n,) and p (dp, n) C-contiguous; the force parameters are copied into the function by
 * value (so gcc knows they cannot alias x and p) and the table force is branch-free.
 *
 * Built by bench_push.py with  gcc -O3 -march=native -ffast-math -fopenmp -shared -fPIC  (glibc's
 * libmvec gives the vector exp under -ffast-math).
 */
#include <math.h>
#include <omp.h>

#define SUB 256

void set_threads(int n) { omp_set_num_threads(n); }
int max_threads(void) { return omp_get_max_threads(); }

/* ---------------------------------------------------------------------------- wrap */
static inline double wrap_once(double y, double lo, double hi, double length)
{
    y = (y >= hi) ? y - length : y;
    return (y < lo) ? y + length : y;
}

static inline double wrap_rest(double y, double lo, double hi, double length)
{
    y = y - length * floor((y - lo) / length);
    if (y < lo)
        y += length;
    return (y >= hi || y < lo) ? lo : y;
}

static inline double wrap(double y, double lo, double hi, double length)
{
    y = wrap_once(y, lo, hi, length);
    if (!(y >= lo && y < hi))
        y = wrap_rest(y, lo, hi, length);
    return y;
}

static void fix_outside(double *restrict x, long m, double lo, double hi)
{
    for (long i = 0; i < m; i++)
        if (!(x[i] >= lo && x[i] < hi))
            x[i] = wrap_rest(x[i], lo, hi, hi - lo);
}

/* ---------------------------------------------------------------------------- models */
typedef struct {
    double mass, alpha;
} band_t;

typedef struct {
    double f0;
} uniform_t;

typedef struct {
    double k, center;
} harmonic_t;

typedef struct {
    double height, inv_w, center;
} gauss_t;

typedef struct {
    double x0, inv_h;
    long ncell;
    const double *c; /* (ncell, 4) */
} grid_t;

static inline double force_uniform(uniform_t u, double x)
{
    (void)x;
    return u.f0;
}

static inline double force_harmonic(harmonic_t h, double x) { return -h.k * (x - h.center); }

static inline double force_gauss(gauss_t g, double x)
{
    double s = (x - g.center) * g.inv_w;
    return g.height * s * g.inv_w * exp(-0.5 * s * s);
}

static inline double force_grid(grid_t g, double x)
{
    /* branch-free (a clamped cell and a select) so that every loop around it vectorises */
    double s = (x - g.x0) * g.inv_h;
    int inside = s >= 0.0 && s < (double)g.ncell;
    long i = inside ? (long)s : 0;
    double t = s - (double)i;
    const double *c = g.c + 4 * i;
    double f = -g.inv_h * (c[1] + t * (2.0 * c[2] + t * 3.0 * c[3]));
    return inside ? f : 0.0;
}

/* v_x of the parabolic band (a = p0) and of the Kane band (p0, p1, p2) */
#define VEL_PARABOLIC(B, A, P1, P2) ((A) * inv_m)

static inline double kane_v0(const band_t *k, double p0, double p1, double p2)
{
    double gamma = (p0 * p0 + p1 * p1 + p2 * p2) / (2.0 * k->mass);
    double eps = 2.0 * gamma / (1.0 + sqrt(1.0 + 4.0 * k->alpha * gamma));
    return p0 / (k->mass * (1.0 + 2.0 * k->alpha * eps));
}
#define VEL_KANE(B, A, P1, P2) kane_v0((B), (A), (P1), (P2))

/* momentum components beyond p0: read only for the Kane band (DP = 3) */
#define LOAD_P12(DP, I)                                                                        \
    double b_ = (DP) > 1 ? p1[(I)] : 0.0;                                                      \
    double c_ = (DP) > 2 ? p2[(I)] : 0.0;                                                      \
    (void)b_; (void)c_;

/* ---------------------------------------------------------------------------- with a force */
#define PUSH(NAME, FORCE, PTYPE, VEL, DP)                                                      \
    void NAME##_pass(double *restrict x, double *restrict p, long n, int steps, double dt,    \
                     const band_t *band, double lo, double hi, const void *vprm)             \
    {                                                                                          \
        const PTYPE prm = *(const PTYPE *)vprm;                                                \
        double hdt = 0.5 * dt, inv_m = 1.0 / band->mass, length = hi - lo;                    \
        const double *restrict p1 = p + n, *restrict p2 = p + 2 * n;                           \
        (void)p1; (void)p2; (void)inv_m;                                                       \
        for (int s = 0; s < steps; s++) {                                                      \
            long out = 0;                                                                      \
            _Pragma("omp parallel for schedule(static) reduction(+:out)")                      \
            for (long i = 0; i < n; i++) {                                                     \
                LOAD_P12(DP, i)                                                                \
                double a = p[i] + hdt * FORCE(prm, x[i]);                                      \
                double y = wrap_once(x[i] + dt * VEL(band, a, b_, c_), lo, hi, length);        \
                out += !(y >= lo && y < hi);                                                   \
                p[i] = a + hdt * FORCE(prm, y);                                                \
                x[i] = y;                                                                      \
            }                                                                                  \
            if (out) { /* never here: redo the markers more than a box away */                 \
                fix_outside(x, n, lo, hi);                                                     \
            }                                                                                  \
        }                                                                                      \
    }                                                                                          \
    void NAME##_fused(double *restrict x, double *restrict p, long n, int steps, double dt,   \
                      const band_t *band, double lo, double hi, const void *vprm)            \
    {                                                                                          \
        const PTYPE prm = *(const PTYPE *)vprm;                                                \
        double hdt = 0.5 * dt, inv_m = 1.0 / band->mass, length = hi - lo;                    \
        const double *restrict p1 = p + n, *restrict p2 = p + 2 * n;                           \
        (void)p1; (void)p2; (void)inv_m;                                                       \
        _Pragma("omp parallel for schedule(static)")                                           \
        for (long i = 0; i < n; i++) {                                                         \
            LOAD_P12(DP, i)                                                                    \
            double xi = x[i], a = p[i];                                                        \
            double f = FORCE(prm, xi);                                                         \
            for (int s = 0; s < steps; s++) {                                                  \
                a += hdt * f;                                                                  \
                xi = wrap(xi + dt * VEL(band, a, b_, c_), lo, hi, length);                     \
                f = FORCE(prm, xi);                                                            \
                a += hdt * f;                                                                  \
            }                                                                                  \
            x[i] = xi;                                                                         \
            p[i] = a;                                                                          \
        }                                                                                      \
    }                                                                                          \
    void NAME##_block(double *restrict x, double *restrict p, long n, int steps, double dt,   \
                      const band_t *band, double lo, double hi, const void *vprm)            \
    {                                                                                          \
        const PTYPE prm = *(const PTYPE *)vprm;                                                \
        double hdt = 0.5 * dt, inv_m = 1.0 / band->mass, length = hi - lo;                    \
        (void)inv_m;                                                                           \
        _Pragma("omp parallel for schedule(static)")                                           \
        for (long b0 = 0; b0 < n; b0 += SUB) {                                                 \
            long m = n - b0 < SUB ? n - b0 : SUB;                                              \
            double F[SUB];                                                                     \
            double *restrict xb = x + b0, *restrict pb = p + b0;                               \
            const double *restrict p1 = p + n + b0, *restrict p2 = p + 2 * n + b0;             \
            (void)p1; (void)p2;                                                                \
            for (long i = 0; i < m; i++)                                                       \
                F[i] = FORCE(prm, xb[i]);                                                      \
            for (int s = 0; s < steps; s++) {                                                  \
                long out = 0;                                                                  \
                for (long i = 0; i < m; i++) {                                                 \
                    LOAD_P12(DP, i)                                                            \
                    double a = pb[i] + hdt * F[i];                                             \
                    double y = wrap_once(xb[i] + dt * VEL(band, a, b_, c_), lo, hi, length);   \
                    out += !(y >= lo && y < hi);                                               \
                    pb[i] = a;                                                                 \
                    xb[i] = y;                                                                 \
                }                                                                              \
                if (out)                                                                       \
                    fix_outside(xb, m, lo, hi);                                                \
                for (long i = 0; i < m; i++) {                                                 \
                    double f = FORCE(prm, xb[i]);                                              \
                    F[i] = f;                                                                  \
                    pb[i] += hdt * f;                                                          \
                }                                                                              \
            }                                                                                  \
        }                                                                                      \
    }

PUSH(uniform, force_uniform, uniform_t, VEL_PARABOLIC, 1)
PUSH(harmonic, force_harmonic, harmonic_t, VEL_PARABOLIC, 1)
PUSH(gauss, force_gauss, gauss_t, VEL_PARABOLIC, 1)
PUSH(grid, force_grid, grid_t, VEL_PARABOLIC, 1)
PUSH(kane_grid, force_grid, grid_t, VEL_KANE, 3)
PUSH(kane_gauss, force_gauss, gauss_t, VEL_KANE, 3)

/* ---------------------------------------------------------------------------- free flight */
void free_pass(double *restrict x, double *restrict p, long n, int steps, double dt,
               const band_t *band, double lo, double hi, const void *prm)
{
    (void)prm;
    double inv_m = 1.0 / band->mass, length = hi - lo;
    for (int s = 0; s < steps; s++) {
        long out = 0;
#pragma omp parallel for schedule(static) reduction(+:out)
        for (long i = 0; i < n; i++) {
            double y = wrap_once(x[i] + dt * (p[i] * inv_m), lo, hi, length);
            out += !(y >= lo && y < hi);
            x[i] = y;
        }
        if (out)
            fix_outside(x, n, lo, hi);
    }
}

void free_fused(double *restrict x, double *restrict p, long n, int steps, double dt,
                const band_t *band, double lo, double hi, const void *prm)
{
    (void)prm;
    double inv_m = 1.0 / band->mass, length = hi - lo;
#pragma omp parallel for schedule(static)
    for (long i = 0; i < n; i++) {
        double xi = x[i], v = p[i] * inv_m;
        for (int s = 0; s < steps; s++)
            xi = wrap(xi + dt * v, lo, hi, length);
        x[i] = xi;
    }
}

void free_block(double *restrict x, double *restrict p, long n, int steps, double dt,
                const band_t *band, double lo, double hi, const void *prm)
{
    (void)prm;
    double inv_m = 1.0 / band->mass, length = hi - lo;
#pragma omp parallel for schedule(static)
    for (long b0 = 0; b0 < n; b0 += SUB) {
        long m = n - b0 < SUB ? n - b0 : SUB;
        double *restrict xb = x + b0;
        const double *restrict pb = p + b0;
        for (int s = 0; s < steps; s++) {
            long out = 0;
            for (long i = 0; i < m; i++) {
                double y = wrap_once(xb[i] + dt * (pb[i] * inv_m), lo, hi, length);
                out += !(y >= lo && y < hi);
                xb[i] = y;
            }
            if (out)
                fix_outside(xb, m, lo, hi);
        }
    }
}
