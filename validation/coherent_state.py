"""(1) Coherent state in a harmonic well: markers against the envelope projection, exact at all
times.

For a quadratic Hamiltonian H = p^2 / 2m + m omega^2 x^2 / 2 the Moyal bracket reduces to the
Poisson bracket, so the Wigner function of any state is carried exactly by the classical flow,
W(x, p, t) = W(x cos wt - p sin wt / m w, p cos wt + m w x sin wt, 0) (E. Wigner, Phys. Rev. 40,
749 (1932); W. P. Schleich, Quantum Optics in Phase Space, Wiley 2001, ch. 3). Markers drawn
from the initial Wigner function of the coherent state (positive: a Gaussian) therefore sample
W(t) at every t, and smoothed with the Wigner function of the window they have the envelope
density rho = W_psi * W_g as expectation (docs/design.md §1, "Comparing like with like"). The only
differences left are sampling noise and the two time integrators (leapfrog for the markers,
Strang split-operator for psi: both O(dt^2), with dt = T / 800 below 1e-4 of the window here).

Quantities (units hbar = m = omega = 1): coherent state x0 = 3, p0 = 0, sigma_x = sqrt(hbar / 2 m
omega); Gaussian window sigma_x = 0.5 (the Husimi function); one period T = 2 pi saved every
T / 16; K = 4 independent ensembles of N markers (N = 25 000 quick, 250 000 full), binned on a
101 x 101 grid over [-10, 10]^2 that holds rho to its 6-sigma tails.

Figure of merit: the largest over the saved times of z = (D - F) / s, where D is the total
variation distance between rho and the pooled, smoothed markers, F the noise floor measured from
the K ensembles (their mean pairwise distance / sqrt(2K)) and s the scatter of D under noise
alone (the pairwise scatter / sqrt(2K), times sqrt(1 + 2/K) for the scatter of F itself: a mean
over pairs of which K/2 are independent). Tolerance 4 (four standard deviations; the saved times
share their markers, so this is close to a single test). The case also requires the differences
of <x> and <p> to stay within 4 standard errors at every saved time (34 tests at 4 sigma: a
false alarm rate of 0.2 %).
"""
import math
import pathlib
import warnings

import numpy as np

import pmc
import pmc.validate
from pmc.validate import Verdict

NUMBER = 1
NAME = "coherent_state"
TOLERANCE = 4.0


def parameters(quick):
    return dict(hbar=1.0, mass=1.0, omega=1.0, x0=3.0, p0=0.0, window=0.5,
                n=25_000 if quick else 250_000, ensembles=4, steps_per_period=800,
                saves_per_period=16)


def run(quick, outdir):
    outdir = pathlib.Path(outdir)
    c = parameters(quick)
    hbar, m, w = c["hbar"], c["mass"], c["omega"]
    H = pmc.Hamiltonian(pmc.bands.Parabolic(mass=m), pmc.potentials.Harmonic(omega=w, mass=m),
                        hbar=hbar)
    psi0 = pmc.states.GaussianWavepacket(x0=c["x0"], p0=c["p0"],
                                         sigma_x=math.sqrt(hbar / (2 * m * w)), hbar=hbar)
    period = 2 * math.pi / w
    dt = period / c["steps_per_period"]
    save = period / c["saves_per_period"]
    grid = pmc.PhaseSpaceGrid(x=np.linspace(-10, 10, 101), p=np.linspace(-10, 10, 101))
    window = pmc.quantum.GaussianWindow(sigma_x=c["window"])

    runs = []
    for k in range(c["ensembles"]):  # independent ensembles: spawned seeds
        seed = np.random.SeedSequence(2024, spawn_key=(k,))
        markers = pmc.sample(psi0, c["n"], seed=seed)
        sim = pmc.Simulation(H, markers, dt=dt, grid=grid, observables=["f"], seed=k)
        runs.append(sim.run(period, save, progress=False))
    q = pmc.quantum.simulate(H, psi0, grid=np.linspace(-16, 16, 512, endpoint=False),
                             t_end=period, save_every=save, dt=dt)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", pmc.quantum.EnvelopeWarning)
        rho = pmc.quantum.envelope(q, grid, window)
    cmp = pmc.compare(runs, rho, densities=True)

    K = c["ensembles"]
    s = cmp.noise_floor_spread.values * math.sqrt(1 + 2 / K)
    z = (cmp.distance.values - cmp.noise_floor.values) / s
    zx = cmp.mean_x_difference.values / cmp.mean_x_difference_stderr.values
    zp = cmp.mean_p_difference.values / cmp.mean_p_difference_stderr.values
    fom = float(z.max())
    moments_ok = bool(np.all(np.abs(zx[1:]) <= TOLERANCE) and np.all(np.abs(zp[1:]) <= TOLERANCE)
                      and abs(zx[0]) <= TOLERANCE and abs(zp[0]) <= TOLERANCE)
    passed = fom <= TOLERANCE and moments_ok

    out = cmp.copy()
    out["z_distance"] = ("time", z, {"units": "1", "long_name": "(distance - noise floor) / "
                                                                 "its noise scatter"})
    out["quantum_norm"] = ("time", q.total_weight.values, dict(q.total_weight.attrs))
    out.attrs.update({"case": NAME, "quick": int(quick), "n_markers_per_ensemble": c["n"],
                      "figure_of_merit": "max_t (D - F) / s", "tolerance": TOLERANCE,
                      "passed": int(passed)})
    out.to_netcdf(outdir / f"{NAME}.nc")
    _figure(out, q, outdir / f"{NAME}.png", c)
    return Verdict(
        name=NAME, figure_of_merit="max over saved times of (TV distance - noise floor) / "
                                   "noise scatter", value=fom, tolerance=TOLERANCE,
        passed=passed,
        details={"distance": cmp.distance.values, "noise_floor": cmp.noise_floor.values,
                 "distance_over_floor": cmp.distance.values / cmp.noise_floor.values,
                 "max_abs_z_mean_x": float(np.abs(zx).max()),
                 "max_abs_z_mean_p": float(np.abs(zp).max()),
                 "quantum_norm_deviation": float(np.abs(q.total_weight.values - 1).max()),
                 "n_markers_per_ensemble": c["n"], "ensembles": K,
                 "envelope_warnings": [str(x.message) for x in caught]})


def _figure(ds, q, path, c):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = ds.sizes["time"]
    picks = [0, n // 4, n // 2]
    fig, axes = plt.subplots(2, 3, figsize=(13, 8))
    for ax, i in zip(axes[0], picks):
        t = float(ds.time[i])
        levels = np.linspace(0.0, float(ds.rho_reference.max()), 8)[1:]
        ax.contour(ds.x, ds.p, ds.rho_reference[i].T, levels=levels, colors="k",
                   linewidths=1.0)
        ax.contour(ds.x, ds.p, ds.rho_markers[i].T, levels=levels, colors="C1",
                   linewidths=1.0, linestyles="--")
        ax.set_title(f"t = {t:.3g}")
        ax.set_xlabel("x")
        ax.set_ylabel("p")
        ax.set_xlim(-6.5, 6.5)
        ax.set_ylim(-6.5, 6.5)
        ax.set_aspect("equal")
    axes[0, 0].plot([], [], "k-", label="rho, Schrödinger")
    axes[0, 0].plot([], [], "C1--", label="markers * W_g")
    axes[0, 0].legend(loc="upper left", fontsize=8)
    t = ds.time.values
    ax = axes[1, 0]
    ax.plot(t, ds.distance, "o-", label="TV distance D")
    ax.fill_between(t, ds.noise_floor - 2 * ds.noise_floor_spread,
                    ds.noise_floor + 2 * ds.noise_floor_spread, alpha=0.3, color="C1",
                    label="noise floor F +- 2 s")
    ax.set_ylim(bottom=0)
    ax.set_xlabel("t")
    ax.legend()
    ax.set_title(f"K = {ds.attrs['n_ensembles']} x N = {c['n']} markers")
    ax = axes[1, 1]
    ax.plot(t, ds.mean_x_reference, "k-", label="<x> quantum")
    ax.plot(t, ds.mean_x_markers, "C1--", label="<x> markers")
    ax.plot(t, ds.mean_p_reference, "k:", label="<p> quantum")
    ax.plot(t, ds.mean_p_markers, "C2--", label="<p> markers")
    ax.legend()
    ax.set_xlabel("t")
    ax = axes[1, 2]
    ax.plot(t, ds.mean_x_difference / ds.mean_x_difference_stderr, "o-", label="<x>")
    ax.plot(t, ds.mean_p_difference / ds.mean_p_difference_stderr, "s-", label="<p>")
    ax.plot(t, ds.z_distance, "^-", label="distance")
    ax.axhline(TOLERANCE, color="r", lw=0.8)
    ax.axhline(-TOLERANCE, color="r", lw=0.8)
    ax.set_title("z-scores (tolerance +-4)")
    ax.set_xlabel("t")
    ax.legend()
    fig.suptitle("(1) coherent state in a harmonic well: markers vs envelope (Husimi)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


if __name__ == "__main__":
    pmc.validate.script(run)
