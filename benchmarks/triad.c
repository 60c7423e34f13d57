/* A STREAM-like triad, a[i] = b[i] + s c[i], for benchmarks/bench_push.py: the memory bandwidth
 * of this machine, the roofline of a push that streams the markers through memory.
 *
 * As J. D. McCalpin's STREAM (https://www.cs.virginia.edu/stream/) counts it: 24 bytes per
 * element (two reads, one write; the write-allocate read of a[] is not counted). The arrays are
 * first touched by the threads that time them (static schedule, as the timed loop).
 *
 * Built by bench_push.py with  gcc -O3 -march=native -fopenmp -shared -fPIC.
 */
#include <stdlib.h>
#include <omp.h>

/* Best bandwidth [bytes/s, 24 per element] of `reps` triads over arrays of n doubles on
 * `threads` threads; 0 when the arrays cannot be allocated. */
double triad(long n, int threads, int reps)
{
    double *a = malloc(n * sizeof(double)), *b = malloc(n * sizeof(double)),
           *c = malloc(n * sizeof(double));
    if (!a || !b || !c) {
        free(a); free(b); free(c);
        return 0.0;
    }
    omp_set_num_threads(threads);
#pragma omp parallel for schedule(static)
    for (long i = 0; i < n; i++) {
        a[i] = 0.0;
        b[i] = 1.0;
        c[i] = 2.0;
    }
    double s = 3.0, best = 1e300;
    for (int r = 0; r < reps; r++) {
        double t = omp_get_wtime();
#pragma omp parallel for schedule(static)
        for (long i = 0; i < n; i++)
            a[i] = b[i] + s * c[i];
        t = omp_get_wtime() - t;
        if (t < best)
            best = t;
    }
    volatile double sink = a[n / 2]; /* the stores are used */
    (void)sink;
    free(a); free(b); free(c);
    return 24.0 * (double)n / best;
}
