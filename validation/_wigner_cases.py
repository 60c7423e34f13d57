"""Shared set-up of the signed-particle Wigner validation cases (70-79): the Schrödinger
reference on a fine grid, the signed markers, the binned density of replicas and its
statistical error."""
import math

import numpy as np

import pmc

nm, fs, eV = pmc.units.nm, pmc.units.fs, pmc.units.eV


def rectangular_barrier(height, a, b, edge=0.005 * nm):
    """U = height on [a, b] with tanh edges of width ``edge`` [m] (sharp on every grid here)."""
    return (pmc.potentials.Step(height=height, width=edge, center=a)
            + pmc.potentials.Step(height=-height, width=edge, center=b))


def quantum(H, psi0, lo, hi, times, n=4096, pad=0.5):
    """Split-operator reference on [lo - pad L, hi + pad L] with absorbers in the padding;
    returns (x, density (len(times), n), absorbed_hi (len(times),), dataset)."""
    L = hi - lo
    x = np.linspace(lo - pad * L, hi + pad * L, n, endpoint=False)
    q = pmc.quantum.simulate(H, psi0, grid=x, t_end=times[-1], save_every=times[0]
                             if len(times) == 1 else float(np.min(np.diff([0.0, *times]))),
                             absorber=pmc.quantum.Absorber(width=0.8 * pad * L))
    q = q.sel(time=list(times), method="nearest")
    return x, q.density.values, q.absorbed.sel(side="x_hi").values, q


def bin_quantum(x, density, edges):
    """Mean of the fine quantum density over each bin of ``edges``: the difference of its
    cumulative trapezoid integral, interpolated linearly at the edges, over the bin width.
    (Summing the grid points that fall in each bin is biased by a whole point's share when
    the bin holds a non-integer number of them: 20 or 21 points of 0.0977 nm in 2 nm bins
    give a +-2.4 % alternation, larger than the markers' error at full size.)"""
    import scipy.integrate
    out = np.empty((density.shape[0], edges.size - 1))
    for t in range(density.shape[0]):
        F = scipy.integrate.cumulative_trapezoid(density[t], x, initial=0.0)
        out[t] = np.diff(np.interp(edges, x, F))
    return out / np.diff(edges)


def signed_markers(psi0, n, seed, dq=None):
    """Signed markers of the Gaussian packet ``psi0`` (its Wigner function is a product of
    Gaussians in x and p). With ``dq`` [kg m/s] the momenta lie on the lattice i dq, drawn
    from the discrete Gaussian exp(-(i dq - p0)^2 / (2 sigma_p^2)): the state the discrete
    Wigner equation of coherence length pi hbar / dq holds (its sums over the lattice equal
    the integrals over p while dq < ~2 sigma_p), and on which opposite signs meet exactly in
    the annihilation cells (centred on the lattice)."""
    m = pmc.sample(psi0, n=n, seed=seed)
    p = m.p
    if dq is not None:
        rng = np.random.default_rng(np.random.SeedSequence(seed.entropy, spawn_key=(
            *seed.spawn_key, 1)) if isinstance(seed, np.random.SeedSequence) else seed)
        sp = psi0.sigma_p
        i = np.arange(math.floor((psi0.p0 - 12 * sp) / dq), math.ceil((psi0.p0 + 12 * sp) / dq) + 1)
        law = np.exp(-0.5 * ((i * dq - psi0.p0) / sp) ** 2)
        p = (rng.choice(i, size=n, p=law / law.sum()) * dq).reshape(m.p.shape)
    return pmc.Markers(m.x, p, m.w, signed=True)


def marker_density(markers, edges):
    """Histogram of the signed weights / bin width."""
    h, _ = np.histogram(markers.x, edges, weights=markers.w)
    return h / np.diff(edges)


def replica_statistics(samples):
    """(mean, standard error of the mean) over the first axis of ``samples``."""
    s = np.asarray(samples)
    k = s.shape[0]
    return s.mean(axis=0), s.std(axis=0, ddof=1) / math.sqrt(k)


def density_chi2(mean, err, ref, h, replicas, mass=0.999):
    """chi^2 of the replica-mean binned density ``mean`` (time, bin) [1/m] against the binned
    reference ``ref``, over the bins where the reference holds ``mass`` of the probability at
    each time. The standard error ``err`` of R = ``replicas`` replicas is pooled over 5
    neighbouring bins (nu = 5 (R - 1) degrees of freedom), so each z is a Student t whose
    square has mean nu / (nu - 2). Returns (chi2 per bin, tolerance = that mean plus four
    standard deviations of the mean of the bins' t^2, dof, per-time rows of chi2 per bin, L1
    distance [1] and its noise floor sqrt(2/pi) sum err h)."""
    chi2, dof, rows = 0.0, 0, []
    for k in range(ref.shape[0]):
        order = np.argsort(ref[k])[::-1]
        cum = np.cumsum(ref[k][order]) * h
        use = np.zeros(ref[k].size, bool)
        use[order[:np.searchsorted(cum, mass * cum[-1]) + 1]] = True
        var = np.convolve(err[k] ** 2, np.ones(5) / 5, mode="same")
        use &= var > 0
        z = (mean[k] - ref[k])[use] / np.sqrt(var[use])
        chi2 += float(np.sum(z ** 2))
        dof += int(use.sum())
        rows.append(dict(chi2_per_bin=float(np.mean(z ** 2)),
                         L1=float(np.sum(np.abs(mean[k] - ref[k])) * h),
                         L1_noise=float(np.sum(err[k]) * h * math.sqrt(2 / math.pi))))
    return chi2 / dof, chi2_tolerance(replicas, dof), dof, rows


def chi2_tolerance(replicas, dof):
    """The mean of a squared Student t with nu = 5 (replicas - 1) degrees of freedom (the
    variance pooled over 5 bins) plus four standard deviations of the mean of ``dof`` of them."""
    nu = 5 * (replicas - 1)
    t2 = nu / (nu - 2)
    t2_var = 2 * nu ** 2 * (nu - 1) / ((nu - 2) ** 2 * (nu - 4)) if nu > 4 else 2 * t2 ** 2
    return t2 + 4.0 * math.sqrt(t2_var / dof)
