"""(74) Where the Wigner and Liouville evolutions coincide: the harmonic oscillator and the free
packet with a constant potential offset, entirely as the Wigner part (issue 19, item 4b).

For a potential at most quadratic the Wigner potential's expansion in hbar,
sum_k (hbar / 2i)^(2k) U^(2k+1)(x) d^(2k+1) f / dp^(2k+1) / (2k+1)!, stops at its first term,
the classical force: the Wigner function moves along the classical flow (E. Wigner, Phys. Rev.
40, 749 (1932); W. P. Schleich, Quantum Optics in Phase Space, Wiley 2001, ch. 3). Given as the
fast part, such a potential is still applied through pair generation: the markers fly freely and
the pairs must add up, on average, to exactly the force's shift of f, with no quantum
remainder.

(i) Harmonic oscillator (hbar = m = omega = 1): U = x^2 / 2 as the Wigner part, a coherent state
x0 = 2, p0 = 0, sigma_x = 1 / sqrt(2); coherence length 6 (the state's density matrix falls as
exp(-y^2 / 4): 6 is 4.2 of its standard deviations 1.41), momentum transfers and domain up to 5;
box [-6, 6] with absorbing ends; dt = 2 pi / 800; frames at t = pi/2 and pi; momenta on the
lattice dq = pi / 6; the table tapered by Lanczos sigma factors (``taper=True``, below). Exact: the
rotation of the Gaussian, <x> = 2 cos t, <p> = -2 sin t, <x^2> = 4 cos^2 t + 1/2,
<p^2> = 4 sin^2 t + 1/2, density N(2 cos t, 1/2).
(ii) Free packet (x0 = -5, p0 = 1, sigma_x = 1) with U = 0.5, constant, as the Wigner part on
[-20, 20]: its Wigner potential vanishes identically (U(x + y/2) - U(x - y/2) = 0), so no pair
is generated and the markers must equal those of the run without the mechanism (as a set: momenta
and weights bitwise, positions to round-off, since with a collision the push is split in halves).

What limits it: on the lattice the Wigner potential of x^2 / 2 is x (-1)^j L / (j pi hbar),
the Fourier series of the sawtooth y on (-L, L); cut at q_max it multiplies the density matrix
by a truncated series whose ripple, ~hbar / q_max in y, is a relative error in the force of
~hbar / (q_max 2 sigma_x) (14 % here) on the state's y range. The pairs therefore reproduce the
rotation only to that order (untapered, full size: <x> at t = pi/2 off by 8.5 and <p> at pi by
6.9 standard errors with 12 x 40 000 markers); doubling q_max halves it but multiplies the noise ~10x (generation
rate and momentum domain both grow). The sigma factors damp the ripple (untapered, 6 x 20 000:
z of the four moments at pi/2 2.97 / -4.04 / 2.18 / 2.42; tapered 2.38 / 1.32 / 0.78 / -0.66).
A smooth potential belongs in U_smooth, which is what :func:`pmc.collisions.suggest_split`
puts there.

Figure of merit: chi^2 per bin of the harmonic oscillator's replica-mean density (0.2 bins,
99.9 % of the probability) against the exact one (validation/_wigner_cases.density_chi2;
tolerance: the mean of the Student t^2 plus four standard deviations). Also required: the four
moments at both times within the Student-t quantile of the replicas (two-sided 6.3e-5, the false
alarm of 4 sigma), and (ii) exact: zero pairs, the same markers.
"""
import math
import pathlib

import numpy as np
import xarray as xr
from scipy import stats

import pmc
import pmc.validate
from pmc.validate import Verdict


wc = pmc.validate.helper(__file__, "_wigner_cases")

NUMBER = 74
NAME = "wigner_liouville"
ALARM = 2 * stats.norm.sf(4.0)


def parameters(quick):
    return dict(n=6000 if quick else 40000, replicas=6 if quick else 12, steps=800,
                times=[math.pi / 2, math.pi], box=6.0, coherence=6.0, q_max=5.0, bin=0.2,
                x0=2.0, taper=True)


def exact_moments(t, x0):
    """<x>, <p>, <x^2>, <p^2> of the coherent state (hbar = m = omega = 1) at time t."""
    return np.array([x0 * math.cos(t), -x0 * math.sin(t), (x0 * math.cos(t)) ** 2 + 0.5,
                     (x0 * math.sin(t)) ** 2 + 0.5])


def _harmonic(c):
    band = pmc.bands.Parabolic(mass=1.0)
    H0 = pmc.Hamiltonian(band, pmc.potentials.Zero(), hbar=1.0)
    psi0 = pmc.states.GaussianWavepacket(x0=c["x0"], p0=0.0, sigma_x=math.sqrt(0.5), hbar=1.0)
    b = c["box"]
    wp = pmc.collisions.WignerPotential(pmc.potentials.Harmonic(omega=1.0, mass=1.0), -b, b,
                                        q_max=c["q_max"], coherence_length=c["coherence"],
                                        budget=20 * c["n"], taper=c["taper"])
    cells = pmc.Cells.from_grid(pmc.PhaseSpaceGrid(x=np.linspace(-b, b, 3),
                                                   p=np.linspace(-1.0, 1.0, 3)))
    dt = 2 * math.pi / c["steps"]
    edges = np.arange(-b, b + c["bin"] / 2, c["bin"])
    R, nt = c["replicas"], len(c["times"])
    moments = np.zeros((R, nt, 4))
    dens = np.zeros((R, nt, edges.size - 1))
    counts = np.zeros((R, nt, 2))
    for r in range(R):
        mk = wc.signed_markers(psi0, c["n"], seed=np.random.SeedSequence(74, spawn_key=(r,)),
                               dq=wp.lattice(1.0)[1])
        sim = pmc.Simulation(H0, mk, dt=dt, boundary=pmc.Absorbing(-b, b), collisions=[wp],
                             cells=cells, seed=r)
        for k, t in enumerate(c["times"]):
            sim.step(int(round((t - sim.time) / dt)))
            w, x, p = sim.markers.w, sim.markers.x, np.ravel(sim.markers.p)
            moments[r, k] = [np.sum(w * x), np.sum(w * p), np.sum(w * x * x), np.sum(w * p * p)]
            dens[r, k] = wc.marker_density(sim.markers, edges)
            counts[r, k] = [np.count_nonzero(w > 0), np.count_nonzero(w < 0)]
    ref = np.array([np.diff(stats.norm.cdf(edges, c["x0"] * math.cos(t), math.sqrt(0.5)))
                    / c["bin"] for t in c["times"]])
    mean, err = wc.replica_statistics(dens)
    m, e = wc.replica_statistics(moments)
    exact = np.array([exact_moments(t, c["x0"]) for t in c["times"]])
    return dict(density=wc.density_chi2(mean, err, ref, c["bin"], R), moments=m,
                moments_stderr=e, moments_exact=exact, z=(m - exact) / e, mean=mean, err=err,
                ref=ref, edges=edges, counts=counts.mean(axis=0))


def _offset(c):
    """The free packet with a constant offset as the Wigner part against the plain free run:
    (pairs generated, markers bitwise equal)."""
    band = pmc.bands.Parabolic(mass=1.0)
    H0 = pmc.Hamiltonian(band, pmc.potentials.Zero(), hbar=1.0)
    psi0 = pmc.states.GaussianWavepacket(x0=-5.0, p0=1.0, sigma_x=1.0, hbar=1.0)
    grid = np.linspace(-25.0, 25.0, 11)
    offset = pmc.potentials.Gridded(x=grid, values=np.full(grid.size, 0.5))
    wp = pmc.collisions.WignerPotential(offset, -20.0, 20.0, q_max=5.0, coherence_length=10.0)
    cells = pmc.Cells.from_grid(pmc.PhaseSpaceGrid(x=np.linspace(-20, 20, 3),
                                                   p=np.linspace(-1.0, 1.0, 3)))
    out = []
    for coll in ([wp], []):
        mk = wc.signed_markers(psi0, c["n"], seed=np.random.SeedSequence(74, spawn_key=(99,)))
        sim = pmc.Simulation(H0, mk, dt=0.01, boundary=pmc.Absorbing(-20.0, 20.0),
                             collisions=coll, cells=cells, seed=1)
        sim.step(1000)
        out.append(sim)
    a, b = out[0].markers, out[1].markers
    pairs = int(out[0].operators[0].state()["tally"][0])
    # the same set of markers (removal of the absorbed ones may order them differently), equal
    # to round-off in x: with a collision the driver splits the push in halves (Strang)
    ia = np.lexsort((np.ravel(a.p), a.x))
    ib = np.lexsort((np.ravel(b.p), b.x))
    same = bool(a.n == b.n and np.allclose(a.x[ia], b.x[ib], rtol=0, atol=1e-12)
                and np.array_equal(np.ravel(a.p)[ia], np.ravel(b.p)[ib])
                and np.array_equal(a.w[ia], b.w[ib]))
    return pairs, same, a.n - b.n


def run(quick, outdir):
    outdir = pathlib.Path(outdir)
    c = parameters(quick)
    h = _harmonic(c)
    pairs, same, dn = _offset(c)
    value, tol, dof, rows = h["density"]
    t_tol = float(stats.t.isf(ALARM / 2, c["replicas"] - 1))
    moments_ok = bool(np.all(np.abs(h["z"]) <= t_tol))
    passed = bool(value <= tol and moments_ok and same and pairs == 0)
    names = ["mean_x", "mean_p", "mean_x2", "mean_p2"]
    times = np.array(c["times"])
    data = {}
    for i, nmn in enumerate(names):
        data[nmn] = ("time", h["moments"][:, i])
        data[f"{nmn}_stderr"] = ("time", h["moments_stderr"][:, i])
        data[f"{nmn}_exact"] = ("time", h["moments_exact"][:, i])
    data.update({"n_positive": ("time", h["counts"][:, 0]), "n_negative": ("time", h["counts"][:, 1]),
                 "density_markers": (("time", "x"), h["mean"]),
                 "density_stderr": (("time", "x"), h["err"]),
                 "density_exact": (("time", "x"), h["ref"])})
    edges = h["edges"]
    out = xr.Dataset(data, coords={"time": ("time", times),
                                   "x": ("x", 0.5 * (edges[1:] + edges[:-1]))},
                     attrs={"case": NAME, "quick": int(quick), "replicas": c["replicas"],
                            "markers_initial": c["n"], "tolerance": tol,
                            "student_t_tolerance": t_tol, "offset_pairs": pairs,
                            "offset_markers_equal": int(same), "passed": int(passed)})
    out.to_netcdf(outdir / f"{NAME}.nc")
    _figure(out, outdir / f"{NAME}.png")
    return Verdict(name=NAME, figure_of_merit="chi^2 per bin of the harmonic oscillator's "
                                              "density vs the exact rotation",
                   value=value, tolerance=tol, passed=passed,
                   details={"dof": dof, "chi2_per_bin": np.array([r["chi2_per_bin"] for r in rows]),
                            "moments": names, "z_moments": h["z"], "student_t_tolerance": t_tol,
                            "moments_markers": h["moments"], "moments_exact": h["moments_exact"],
                            "n_positive": h["counts"][:, 0], "n_negative": h["counts"][:, 1],
                            "offset_pairs_generated": pairs, "offset_markers_equal": same,
                            "offset_marker_count_difference": dn})


def _figure(ds, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    fig, axes = plt.subplots(1, ds.time.size, figsize=(3.6 * ds.time.size, 3.0), sharey=True)
    for ax, k in zip(np.atleast_1d(axes), range(ds.time.size)):
        ax.plot(ds.x, ds.density_exact[k], "k-", lw=1, label="exact rotation")
        ax.errorbar(ds.x, ds.density_markers[k], 2 * ds.density_stderr[k], fmt=".", ms=2,
                    lw=0.6, color="C3", label="signed markers, U as Wigner part")
        ax.set_title(f"t = {float(ds.time[k]):.3f}")
        ax.set_xlabel("x")
    np.atleast_1d(axes)[0].set_ylabel("density")
    np.atleast_1d(axes)[0].legend(fontsize=6)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    import pmc.validate
    pmc.validate.script(run)
