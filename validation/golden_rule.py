"""(4) Fermi's golden rule from the Schrödinger equation.

A level |0> at energy E_0 = 0 is coupled with a constant matrix element V to a quasi-continuum of
M levels E_j = (j - (M - 1) / 2) delta (spacing delta, density rho = 1 / delta, bandwidth
B = M delta). Two descriptions of its decay are compared:

* **exact quantum evolution**: psi(t) = expm(-i H t / hbar) |0> for the (M + 1)-level
  Hamiltonian (sparse, by scipy's expm_multiply), and the survival P_0(t) = |<0|psi(t)>|^2. For
  the equally spaced ladder it decays as exp(-Gamma t) with the golden-rule rate
  Gamma = 2 pi |V|^2 rho / hbar between the inverse bandwidth hbar / B and the recurrence time
  t_R = 2 pi hbar rho, where it revives (M. Bixon and J. Jortner, J. Chem. Phys. 48, 715 (1968);
  C. Cohen-Tannoudji, B. Diu, F. Laloë, Quantum Mechanics vol. 2, complement D_XIII). The finite
  band changes the decay rate by the factor 1 / (1 - 2 hbar Gamma / (pi B)), below the
  resolution of this test (its details show by how much), and the prefactor (see below).
* **the rate-matrix jump process** built from the same E and V (paper eq. 47):
  ``RateMatrix.from_golden_rule(E, V, width=G, shape="gaussian")`` and N markers jumping exactly
  inside a ``pmc.Simulation`` (Strang-split; the markers sit still, only their states change).
  Its level-0 out-rate is sum_j (2 pi / hbar) V^2 delta_G(E_j) = Gamma to round-off for G >=
  delta (Poisson summation: the error is ~exp(-2 pi^2 G^2 / delta^2)). The symmetric rates also
  feed population back into |0> at a relative rate ~ delta / (2 sqrt(pi) G) per unit of
  (1 - P_0) / P_0; G = B / 8 makes that small against the statistical error (the details report
  the master equation's own bias, computed without noise by ``RateMatrix.propagate``).

Figure of merit: the decay rate measured from the markers in the window t in [10 hbar / B,
2.5 / Gamma] (a weighted least-squares line through ln P_0, weights P_0 / (1 - P_0) fixed by the
golden-rule curve, fitted to all markers), with its standard error from the spread of the same
fit over K = 20 independent batches of markers:
z = max(|Gamma_markers - Gamma_FGR|, |Gamma_markers - Gamma_quantum|) / stderr, where
Gamma_quantum is the same fit to the exact survival. Tolerance 3 (the batch-mean t statistic
with 19 degrees of freedom exceeds 3 with probability 0.7 %). The case also passes only if the
markers' population of the level agrees with the master equation's, expm(Q t), at every sampled
time of the window within the binomial error, at a family-wise false-alarm rate of 0.27 %
(Bonferroni): the jumps are exact for any step (here Gamma dt = 0.1). The exact survival carries
the band's prefactor 1 + 4 hbar Gamma / (pi B) (the pole's residue), a difference in the
intercept that the rate fits (slope and intercept) do not see; the time-by-time distance between
markers and the quantum curve is reported in the details.
"""
import math
import pathlib

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
import xarray as xr
from scipy import stats

import pmc
import pmc.validate
from pmc.validate import Verdict

NUMBER = 4
NAME = "golden_rule"
BATCHES = 20
TOLERANCE = 3.0


def parameters(quick):
    """Units hbar = delta = 1. Gamma = 5 keeps hbar Gamma << B (the band's shift of the rate,
    2 hbar Gamma / (pi B), is 4e-4 of Gamma for M = 8000) and the recurrence time t_R = 2 pi far
    beyond the window (Gamma t_R = 31). The Gaussian width G = B / 8 puts the band edges at 4 G
    (the golden-rule sum loses 6e-5 of Gamma there) and keeps the master equation's back-flow
    small."""
    m = 2000 if quick else 8000
    return dict(hbar=1.0, delta=1.0, gamma=5.0, m=m, width=m / 8.0,
                n_markers=20_000 if quick else 200_000, n_times=26, seed=4)


def quantum_survival(E, V, hbar, t_stop, num):
    """|<0| expm(-i H t / hbar) |0>|^2 at num times in [0, t_stop]: H = diag(E) + V (|0><j| +
    |j><0|), state 0 the level, 1..M the continuum.

    expm_multiply's cost grows with the 1-norm of H, which the level's column (M V) dominates;
    the similarity D H D^-1 with D = diag(sqrt(M), 1, ..., 1) has the same exponential (up to
    the same similarity) and a 1-norm near B / 2. Returns (P_0(t), max |norm - 1|)."""
    n = E.size
    d0 = math.sqrt(n - 1)
    j = np.arange(1, n)
    coupling = sp.csr_matrix((np.r_[np.full(n - 1, V * d0), np.full(n - 1, V / d0)],
                              (np.r_[np.zeros(n - 1, int), j], np.r_[j, np.zeros(n - 1, int)])),
                             shape=(n, n))
    H = (coupling + sp.diags(E)).tocsc()
    psi0 = np.zeros(n, complex)
    psi0[0] = d0
    psi = spla.expm_multiply(-1j * H / hbar, psi0, start=0.0, stop=t_stop, num=num,
                             endpoint=True)
    psi[:, 0] /= d0  # undo D
    return np.abs(psi[:, 0]) ** 2, float(np.max(np.abs(np.linalg.norm(psi, axis=1) - 1.0)))


def fit_rate(t, P, weights):
    """Decay rate -d ln P / dt by weighted least squares of ln P on (1, t)."""
    A = np.column_stack([np.ones_like(t), -t]) * np.sqrt(weights)[:, None]
    coef, *_ = np.linalg.lstsq(A, np.log(P) * np.sqrt(weights), rcond=None)
    return float(coef[1])


def run(quick=False, outdir="."):
    outdir = pathlib.Path(outdir)
    prm = parameters(quick)
    hbar, delta, gamma, m = prm["hbar"], prm["delta"], prm["gamma"], prm["m"]
    V = math.sqrt(gamma * hbar * delta / (2.0 * math.pi))   # Gamma = 2 pi V^2 rho / hbar
    bandwidth = m * delta
    t_rec = 2.0 * math.pi * hbar / delta
    E = np.r_[0.0, (np.arange(m) - (m - 1) / 2.0) * delta]
    t_max = 2.5 / gamma
    times = np.linspace(0.0, t_max, prm["n_times"])
    dt = times[1] - times[0]
    window = times >= 10.0 * hbar / bandwidth
    if not (t_max < 0.25 * t_rec and 10.0 * hbar / bandwidth < 0.1 / gamma):
        raise ValueError("the window [10 hbar / B, 2.5 / Gamma] must lie well inside "
                         "(hbar / B, t_R)")

    # exact quantum evolution
    P_q, norm_error = quantum_survival(E, V, hbar, t_max, times.size)
    P_q_long, _ = quantum_survival(E, V, hbar, 1.25 * t_rec, 301 if quick else 501)
    t_long = np.linspace(0.0, 1.25 * t_rec, P_q_long.size)

    # the golden-rule rate matrix from the same E and V
    j = np.arange(1, m + 1)
    coupling = sp.csr_matrix((np.full(2 * m, V), (np.r_[np.zeros(m, int), j],
                                                   np.r_[j, np.zeros(m, int)])),
                             shape=(m + 1, m + 1))
    rm = pmc.collisions.RateMatrix.from_golden_rule(E, coupling, width=prm["width"],
                                                    shape="gaussian", hbar=hbar,
                                                    name="golden_rule")
    gamma_q0 = float(rm.out_rates[0])  # sum_j Q_0j
    P_me = np.array([rm.propagate(np.eye(m + 1)[0], t)[0] for t in times])

    # N markers in state 0, jumping inside the driver
    n = prm["n_markers"]
    markers = pmc.Markers(x=np.zeros(n), p=np.zeros(n), state=np.zeros(n, np.int64))
    H = pmc.Hamiltonian(pmc.bands.Parabolic(mass=1.0), hbar=hbar)
    sim = pmc.Simulation(H, markers, dt=dt, collisions=[rm], cells=pmc.Cells(-1.0, 1.0, 1),
                         seed=prm["seed"])
    batch = np.arange(n) % BATCHES
    in_zero = np.zeros((times.size, BATCHES))
    for i in range(times.size):
        if i:
            sim.step(1)
        in_zero[i] = np.bincount(batch, weights=(sim.markers.state == 0), minlength=BATCHES)
    per_batch = np.bincount(batch, minlength=BATCHES)
    P_m = in_zero.sum(axis=1) / n
    P_m_err = np.sqrt(P_m * (1.0 - P_m) / n)

    # decay rates in the window
    tw = times[window]
    P_fgr = np.exp(-gamma * tw)
    weights = P_fgr / (1.0 - P_fgr)
    rates = np.array([fit_rate(tw, in_zero[window, b] / per_batch[b], weights)
                      for b in range(BATCHES)])
    # the rate from all markers (the log of a small batch's proportion is biased by
    # -(1 - P) / (2 N_b P)); its standard error from the spread of the K batch rates
    gamma_m = fit_rate(tw, P_m[window], weights)
    stderr = float(rates.std(ddof=1) / math.sqrt(BATCHES))
    gamma_quantum = fit_rate(tw, P_q[window], weights)
    gamma_me = fit_rate(tw, P_me[window], weights)
    z_fgr = abs(gamma_m - gamma) / stderr
    z_quantum = abs(gamma_m - gamma_quantum) / stderr
    value = max(z_fgr, z_quantum)

    # the survival curves, time by time: the markers sample the master equation exactly
    sigma_me = np.sqrt(P_me * (1.0 - P_me) / n)
    z_curve = np.abs(P_m - P_me)[window] / sigma_me[window]
    z_crit = float(stats.norm.isf(0.0027 / (2 * window.sum())))
    curve_ok = bool(z_curve.max() <= z_crit)
    passed = bool(value <= TOLERANCE and curve_ok)
    sigma_q = np.sqrt(P_q * (1.0 - P_q) / n)

    ds = xr.Dataset(
        {"P0_markers": ("time", P_m, {"units": "1", "long_name": "fraction of markers in the "
                                                                  "level (jump process)"}),
         "P0_markers_stderr": ("time", P_m_err, {"units": "1", "long_name": "binomial standard "
                                                                            "error of P0_markers"}),
         "P0_quantum": ("time", P_q, {"units": "1", "long_name": "exact survival |<0|psi(t)>|^2"}),
         "P0_master_equation": ("time", P_me, {"units": "1", "long_name": "level population "
                                                                          "from expm(Q t)"}),
         "P0_golden_rule": ("time", np.exp(-gamma * times),
                            {"units": "1", "long_name": "exp(-Gamma t), Gamma = 2 pi V^2 rho / "
                                                        "hbar"}),
         "in_window": ("time", window.astype(np.int8), {"units": "1", "long_name":
                                                        "time inside the fit window"}),
         "P0_quantum_long": ("time_long", P_q_long,
                             {"units": "1", "long_name": "exact survival up to beyond the "
                                                         "recurrence time"})},
        coords={"time": ("time", times, {"units": "hbar / delta", "long_name": "time"}),
                "time_long": ("time_long", t_long, {"units": "hbar / delta",
                                                    "long_name": "time"})},
        attrs={"title": "pmc validation (4): Fermi's golden rule", "gamma_fgr": gamma,
               "gamma_markers": gamma_m, "gamma_markers_stderr": stderr,
               "gamma_quantum": gamma_quantum, "gamma_master_equation": gamma_me,
               "levels": m, "coupling": V, "width": prm["width"], "n_markers": n,
               "seed": prm["seed"], "pmc_version": pmc.__version__})
    ds.to_netcdf(outdir / f"{NAME}.nc")
    _figure(ds, outdir / f"{NAME}.png", window, t_rec, bandwidth, hbar)

    details = {
        "gamma_fgr": gamma, "gamma_markers": gamma_m, "gamma_markers_stderr": stderr,
        "gamma_quantum": gamma_quantum, "gamma_master_equation": gamma_me,
        "rate_matrix_out_rate_of_level": gamma_q0,
        "z_markers_vs_fgr": z_fgr, "z_markers_vs_quantum": z_quantum,
        "quantum_vs_fgr_in_stderr": abs(gamma_quantum - gamma) / stderr,
        "master_equation_bias_in_stderr": abs(gamma_me - gamma) / stderr,
        "predicted_finite_band_rate_shift": 1.0 / (1.0 - 2.0 * hbar * gamma
                                                   / (math.pi * bandwidth)) - 1.0,
        "curve_max_z": float(z_curve.max()), "curve_z_critical": z_crit,
        "curve_passed": curve_ok,
        "markers_vs_quantum_curve_max_z": float((np.abs(P_m - P_q)[window]
                                                 / sigma_q[window]).max()),
        "master_equation_vs_quantum_curve_max_z": float((np.abs(P_me - P_q)[window]
                                                         / sigma_q[window]).max()),
        "quantum_prefactor_predicted": 1.0 + 4.0 * hbar * gamma / (math.pi * bandwidth),
        "window": [float(tw[0]), float(tw[-1])], "inverse_bandwidth": hbar / bandwidth,
        "recurrence_time": t_rec,
        "quantum_revival_peak": float(P_q_long[t_long > 0.9 * t_rec].max()),
        "quantum_norm_error": norm_error,
        "levels": m, "width": prm["width"], "n_markers": n, "batches": BATCHES,
    }
    return Verdict(NAME, "max |Gamma_markers - Gamma_{FGR, quantum}| / stderr", value,
                   TOLERANCE, passed, details)


def _figure(ds, path, window, t_rec, bandwidth, hbar):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4.2))
    t = ds.time.values
    a.axvspan(t[window][0], t[window][-1], color="0.93", label="fit window")
    a.semilogy(ds.time_long, ds.P0_quantum_long, "k-", lw=1.2, label="Schrödinger (expm)")
    a.semilogy(t, ds.P0_golden_rule, "C1:", lw=2, label=r"$e^{-\Gamma t}$, $\Gamma = 2\pi|V|^2"
                                                         r"\rho/\hbar$")
    a.semilogy(t, ds.P0_master_equation, "C2--", lw=1, label=r"master equation $e^{Qt}$")
    a.errorbar(t, ds.P0_markers, 3 * ds.P0_markers_stderr, fmt="o", ms=3, color="C0",
               label=f"{ds.attrs['n_markers']} markers (3 s.e.)")
    a.set_xlim(0, t[-1] * 1.02)
    a.set_ylim(ds.P0_golden_rule.values[-1] / 2, 1.1)
    a.set_xlabel(r"$t$ [$\hbar/\delta$]")
    a.set_ylabel(r"$P_0(t)$")
    a.set_title(f"decay: Gamma_markers = {ds.attrs['gamma_markers']:.4f} +- "
                f"{ds.attrs['gamma_markers_stderr']:.4f} (FGR {ds.attrs['gamma_fgr']:g})",
                fontsize=9)
    a.legend(fontsize=8)
    b.axvspan(t[window][0], t[window][-1], color="0.93", label="fit window")
    b.semilogy(ds.time_long, np.maximum(ds.P0_quantum_long, 1e-30), "k-", lw=1)
    b.axvline(t_rec, color="C3", ls="--", label=r"recurrence $t_R = 2\pi\hbar\rho$")
    b.axvline(10 * hbar / bandwidth, color="C4", ls=":", label=r"$10\hbar/B$")
    b.set_ylim(1e-12, 2)
    b.set_xlabel(r"$t$ [$\hbar/\delta$]")
    b.set_title("exact survival up to the recurrence", fontsize=9)
    b.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


if __name__ == "__main__":
    pmc.validate.script(run)
