/* Reference C loops for benchmarks/bench_push.py: the roofline of pmc's push on this machine.
 *
 * The same step as pmc/_kernels/push.py (leapfrog, one marker at a time):
 *
 *     F = F(x)                      (once per call; afterwards the force of the step before)
 *     repeat: p += dt/2 F;  x += dt v(p);  periodic wrap of x into [lo, hi);  F = F(x);  p += dt/2 F
 *
 * (the wrap as pmc's wall(): x - L floor((x - lo) / L), corrected for rounding).
 *
 * Two variants of every case, as in pmc.stream:
 *   *_pass   one pass over all markers per step (pmc.stream(..., steps=1) called `steps` times),
 *            so the force is evaluated twice per step and the arrays cross memory once per step;
 *   *_fused  each marker is pushed `steps` steps in an inner loop while it is in registers
 *            (pmc.stream(..., steps=k)): steps + 1 force evaluations per marker.
 *
 * Forces: the Gaussian barrier F = H s / w exp(-s^2/2), s = (x - c) / w, and the same cubic-per-
 * cell table pmc.potentials.Gridded builds (coefficients c0..c3 of t = (x - x0)/h - i for cell i,
 * four doubles per cell, zero force outside the table). Dispersions: parabolic and (1D3V) Kane.
 *
 * Built by bench_push.py with  gcc -O3 -march=native -ffast-math -fopenmp -shared -fPIC.
 */
#include <math.h>
#include <omp.h>

void set_threads(int n) { omp_set_num_threads(n); }
int max_threads(void) { return omp_get_max_threads(); }

static inline double wrap(double x, double lo, double hi)
{
    if (x >= lo && x < hi)
        return x;
    double length = hi - lo;
    x = x - length * floor((x - lo) / length);
    if (x < lo) /* rounding of the line above */
        x += length;
    return (x >= hi || x < lo) ? lo : x;
}

/* ---------------------------------------------------------------------------- forces */
typedef struct {
    double height, inv_w, center;
} gauss_t;

static inline double force_gauss(const gauss_t *g, double x)
{
    double s = (x - g->center) * g->inv_w;
    return g->height * s * g->inv_w * exp(-0.5 * s * s);
}

typedef struct {
    double x0, inv_h;
    long ncell;
    const double *c; /* (ncell, 4) */
} grid_t;

static inline double force_grid(const grid_t *g, double x)
{
    double s = (x - g->x0) * g->inv_h;
    if (s < 0.0 || s >= (double)g->ncell)
        return 0.0;
    long i = (long)s;
    double t = s - (double)i;
    const double *c = g->c + 4 * i;
    return -g->inv_h * (c[1] + t * (2.0 * c[2] + t * 3.0 * c[3]));
}

/* ---------------------------------------------------------------------------- 1D1V parabolic */
#define PUSH_1D1V(NAME, FORCE, PTYPE)                                                          \
    void NAME##_pass(double *restrict x, double *restrict p, long n, int steps, double dt,    \
                     double inv_m, double lo, double hi, const PTYPE *prm)                   \
    {                                                                                          \
        double hdt = 0.5 * dt;                                                                 \
        for (int s = 0; s < steps; s++) {                                                      \
            _Pragma("omp parallel for schedule(static)")                                       \
            for (long i = 0; i < n; i++) {                                                     \
                double xi = x[i], pi = p[i];                                                   \
                pi += hdt * FORCE(prm, xi);                                                    \
                xi = wrap(xi + dt * pi * inv_m, lo, hi);                                       \
                pi += hdt * FORCE(prm, xi);                                                    \
                x[i] = xi;                                                                     \
                p[i] = pi;                                                                     \
            }                                                                                  \
        }                                                                                      \
    }                                                                                          \
    void NAME##_fused(double *restrict x, double *restrict p, long n, int steps, double dt,   \
                      double inv_m, double lo, double hi, const PTYPE *prm)                  \
    {                                                                                          \
        double hdt = 0.5 * dt;                                                                 \
        _Pragma("omp parallel for schedule(static)")                                           \
        for (long i = 0; i < n; i++) {                                                         \
            double xi = x[i], pi = p[i];                                                       \
            double f = FORCE(prm, xi);                                                         \
            for (int s = 0; s < steps; s++) {                                                  \
                pi += hdt * f;                                                                 \
                xi = wrap(xi + dt * pi * inv_m, lo, hi);                                       \
                f = FORCE(prm, xi);                                                            \
                pi += hdt * f;                                                                 \
            }                                                                                  \
            x[i] = xi;                                                                         \
            p[i] = pi;                                                                         \
        }                                                                                      \
    }

PUSH_1D1V(gauss, force_gauss, gauss_t)
PUSH_1D1V(grid, force_grid, grid_t)

/* ---------------------------------------------------------------------------- 1D3V Kane */
typedef struct {
    double mass, alpha;
} kane_t;

static inline double kane_v0(const kane_t *k, double p0, double p1, double p2)
{
    double gamma = (p0 * p0 + p1 * p1 + p2 * p2) / (2.0 * k->mass);
    double eps = 2.0 * gamma / (1.0 + sqrt(1.0 + 4.0 * k->alpha * gamma));
    return p0 / (k->mass * (1.0 + 2.0 * k->alpha * eps));
}

void kane_grid_pass(double *restrict x, double *restrict p, long n, int steps, double dt,
                    const kane_t *band, double lo, double hi, const grid_t *prm)
{
    double hdt = 0.5 * dt;
    double *restrict p0 = p, *restrict p1 = p + n, *restrict p2 = p + 2 * n;
    for (int s = 0; s < steps; s++) {
#pragma omp parallel for schedule(static)
        for (long i = 0; i < n; i++) {
            double xi = x[i], a = p0[i], b = p1[i], c = p2[i];
            a += hdt * force_grid(prm, xi);
            xi = wrap(xi + dt * kane_v0(band, a, b, c), lo, hi);
            a += hdt * force_grid(prm, xi);
            x[i] = xi;
            p0[i] = a;
        }
    }
}

void kane_grid_fused(double *restrict x, double *restrict p, long n, int steps, double dt,
                     const kane_t *band, double lo, double hi, const grid_t *prm)
{
    double hdt = 0.5 * dt;
    double *restrict p0 = p, *restrict p1 = p + n, *restrict p2 = p + 2 * n;
#pragma omp parallel for schedule(static)
    for (long i = 0; i < n; i++) {
        double xi = x[i], a = p0[i], b = p1[i], c = p2[i];
        double f = force_grid(prm, xi);
        for (int s = 0; s < steps; s++) {
            a += hdt * f;
            xi = wrap(xi + dt * kane_v0(band, a, b, c), lo, hi);
            f = force_grid(prm, xi);
            a += hdt * f;
        }
        x[i] = xi;
        p0[i] = a;
    }
}
