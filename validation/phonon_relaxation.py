"""(11) Electrons under acoustic and optical phonons at the lattice temperature T relax to the
Maxwellian at T (detailed balance), and with Pauli blocking to the Fermi-Dirac distribution at T
(the inelastic mechanisms; case 5, Drude, checks elastic scattering).

The non-polar optical phonon rates (``pmc.collisions.OpticalPhonon``) are
Gamma_abs(eps) ~ N_0 g(eps + hbar w) and Gamma_em(eps) ~ (N_0 + 1) g(eps - hbar w), with
N_0 / (N_0 + 1) = exp(-hbar w / kT): the transitions eps <-> eps + hbar w obey detailed balance
with g(eps) exp(-eps / kT), and with the Pauli factors (1 - f) with f = 1 / (exp((eps - mu) / kT)
+ 1) (C. Jacoboni and L. Reggiani, Rev. Mod. Phys. 55, 645 (1983), section III.B; P. Lugli and
D. K. Ferry, IEEE Trans. Electron Devices 32, 2431 (1985)). Acoustic phonons in equipartition
(``AcousticPhonon``) are elastic and isotropic, so they keep every isotropic distribution.

An invariant fixes the initial state: elastic events keep the energy and optical events change
it by exactly hbar w, so the fractional part of eps / hbar w never changes; each ladder
eps = phi + k hbar w relaxes to its own equilibrium, and the whole gas reaches the one at T only
if the ladders start with the populations they have there. The initial gas is therefore drawn
from the equilibrium at T and then heated by raising each marker by k = 0, 1, 2 or 3 phonon
quanta (uniformly), a state far from equilibrium (mean energy 1.5 hbar w above it) with the
right ladder populations. Directions start along +x (a beam) in the classical cases and
isotropic with Pauli blocking (a beam would overfill its bins).

Cases (units m = kT = hbar = 1, hbar w = kT, 1D3V, one collision cell of length 1, collide
steps dt = 0.5 up to t = 20, several times the slowest ladder relaxation time 1 / 0.72):
* ``maxwell_parabolic``: parabolic band, target g(eps) exp(-eps / kT), g ~ eps^(1/2);
* ``maxwell_kane``: Kane band alpha = 0.5 / kT, g ~ (eps (1 + alpha eps))^(1/2) (1 + 2 alpha eps);
* ``fermi_parabolic``: statistics "fermi", degeneracy 2, K = 16 markers per full momentum bin,
  density of the Fermi-Dirac gas at mu = kT (f(0) = 0.73; the Maxwellian of the same density
  would have f(0) = 1.58), target g(eps) / (exp((eps - mu) / kT) + 1).
N markers per case: 50 000 quick, 500 000 (classical) and 200 000 (Fermi) full. The bins of the
occupation then resolve the Fermi edge to a few tenths of kT, where the binned exclusion process
differs from Fermi-Dirac by far less than the statistical error.

Figure of merit: the largest z over the cases of (i) Pearson's chi-square of the final energy
histogram (0.25 kT shells up to 8 kT and one beyond, neighbouring shells merged until each
expects >= 5 markers) against the target, as the normal quantile of its p-value, (ii) the final
mean energy against the target's, in standard errors, and for the classical cases (iii) the
isotropy: <p_x> = 0 and <p_x^2> = <p^2> / 3 in standard errors. The errors are multinomial
(independent markers): exact for the classical cases and an overestimate with Pauli blocking,
whose exclusion makes bin counts sub-Poissonian. Tolerance 4.
The Fermi case also requires that no momentum bin ever exceeds f = 1.
"""
import math
import pathlib

import numpy as np
import xarray as xr
from scipy import integrate, special, stats

import pmc
import pmc.validate
from pmc.validate import Verdict

NUMBER = 11
NAME = "phonon_relaxation"
TOLERANCE = 4.0
_SHELLS = np.arange(0.0, 8.0 + 1e-9, 0.25)


def parameters(quick):
    return dict(
        kT=1.0, hbar_omega=1.0, mu=1.0, degeneracy=2.0, capacity=16, dt=0.5, t_end=20.0,
        cases={"maxwell_parabolic": dict(alpha=None, fermi=False, coupling=2.5,
                                         n=50_000 if quick else 500_000),
               "maxwell_kane": dict(alpha=0.5, fermi=False, coupling=1.5,
                                    n=50_000 if quick else 500_000),
               "fermi_parabolic": dict(alpha=None, fermi=True, coupling=2.5,
                                       n=50_000 if quick else 200_000)})


def _band(alpha):
    return pmc.bands.Parabolic(mass=1.0) if alpha is None else pmc.bands.Kane(mass=1.0,
                                                                             alpha=alpha)


def _momentum(eps, alpha):
    a = 0.0 if alpha is None else alpha
    return np.sqrt(2.0 * eps * (1.0 + a * eps))


def _target(eps, alpha, c, fermi):
    """Unnormalised target density of energies: g(eps) f(eps)."""
    a = 0.0 if alpha is None else alpha
    g = np.sqrt(np.maximum(eps * (1.0 + a * eps), 0.0)) * (1.0 + 2.0 * a * eps)
    x = (eps - (c["mu"] if fermi else 0.0)) / c["kT"]
    f = special.expit(-x) if fermi else np.exp(-x)
    return g * f


def _shell_probabilities(alpha, c, fermi):
    norm = integrate.quad(_target, 0.0, np.inf, args=(alpha, c, fermi), epsabs=0,
                          epsrel=1e-12, limit=200)[0]
    edges = np.append(_SHELLS, np.inf)
    prob = np.array([integrate.quad(_target, lo, hi, args=(alpha, c, fermi), epsabs=0,
                                    epsrel=1e-12, limit=200)[0]
                     for lo, hi in zip(edges[:-1], edges[1:])]) / norm
    mean = integrate.quad(lambda e: e * _target(e, alpha, c, fermi), 0.0, np.inf, epsabs=0,
                          epsrel=1e-12, limit=200)[0] / norm
    return prob, mean


def _initial(case, c, seed):
    """Energies from the target (inverse CDF of a fine table), raised by 0-3 quanta."""
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    alpha, fermi, n = case["alpha"], case["fermi"], case["n"]
    e = np.linspace(0.0, 60.0 * c["kT"], 600_001)
    cdf = np.concatenate([[0.0], np.cumsum(0.5 * (_target(e[1:], alpha, c, fermi)
                                                  + _target(e[:-1], alpha, c, fermi))
                                           * np.diff(e))])
    eps = np.interp(rng.uniform(0.0, cdf[-1], n), cdf, e)
    eps += c["hbar_omega"] * rng.integers(0, 4, n)
    pmag = _momentum(eps, alpha)
    if fermi:
        v = rng.standard_normal((n, 3))
        v /= np.linalg.norm(v, axis=1)[:, None]
        p = v * pmag[:, None]
    else:
        p = np.zeros((n, 3))
        p[:, 0] = pmag
    return rng.uniform(0.0, 1.0, n), p


def _density(c):
    """Number density g / (2 pi hbar)^3 int f d^3p of the Fermi gas at (mu, kT) [1/m^3]."""
    f = integrate.quad(lambda p: 4 * math.pi * p * p * special.expit((c["mu"] - p * p / 2)
                                                                     / c["kT"]),
                       0.0, np.inf, epsabs=0, epsrel=1e-12)[0]
    return c["degeneracy"] * f / (2 * math.pi) ** 3


def _z_of_p(p):
    """One-sided normal quantile of a p-value (the z a chi-square test is worth)."""
    return float(stats.norm.isf(max(p, 1e-300)))


def _pool(observed, expected, minimum=5.0):
    """Merge neighbouring cells until each expects >= ``minimum`` counts (Pearson's rule)."""
    o, e = [float(v) for v in observed], [float(v) for v in expected]
    i = len(e) - 1
    while i > 0:  # from the tail down: a sparse cell joins its left neighbour
        if e[i] < minimum:
            e[i - 1] += e.pop(i)
            o[i - 1] += o.pop(i)
        i -= 1
    if len(e) > 1 and e[0] < minimum:
        e[1] += e.pop(0)
        o[1] += o.pop(0)
    return np.array(o), np.array(e)


def run_case(label, case, c, seed):
    H = pmc.Hamiltonian(_band(case["alpha"]), hbar=1.0)
    x, p = _initial(case, c, seed)
    n = case["n"]
    w = _density(c) / n if case["fermi"] else 1.0 / n
    markers = pmc.Markers(x=x, p=p, w=w)
    cells = pmc.Cells(0.0, 1.0, 1)
    opts = dict(statistics="fermi", degeneracy=c["degeneracy"], capacity=c["capacity"]) \
        if case["fermi"] else {}
    mechs = [pmc.collisions.OpticalPhonon(coupling=case["coupling"], mass_density=1.0,
                                          energy=c["hbar_omega"], temperature=c["kT"], **opts),
             pmc.collisions.AcousticPhonon(deformation_potential=1.5, mass_density=1.0,
                                           sound_velocity=1.0, temperature=c["kT"], **opts)]
    steps = int(round(c["t_end"] / c["dt"]))
    times = np.arange(steps + 1) * c["dt"]
    energy = np.empty(steps + 1)
    energy[0] = H.dispersion.energy(markers.p).mean()
    counts = np.zeros((steps, 3), np.int64)  # absorption, emission, acoustic
    fmax = [float(np.nanmax(mechs[0].occupation(markers, cells, hamiltonian=H)))
            if case["fermi"] else float("nan")]
    blocked = 0
    ops = [m.prepare(H, cells, markers) for m in mechs]
    for s in range(steps):
        a = ops[0].collide_counts(markers, c["dt"], seed, s)
        b = ops[1].collide_counts(markers, c["dt"], seed, s)
        counts[s] = a["absorption"], a["emission"], b["events"]
        blocked += a["blocked"] + b["blocked"]
        fmax += [a["max_occupation"], b["max_occupation"]]
        energy[s + 1] = H.dispersion.energy(markers.p).mean()

    eps = H.dispersion.energy(markers.p)
    prob, mean = _shell_probabilities(case["alpha"], c, case["fermi"])
    observed = np.histogram(eps, bins=np.append(_SHELLS, np.inf))[0]
    expected = prob * n
    obs, exp = _pool(observed, expected)
    chi2 = float(np.sum((obs - exp) ** 2 / exp))
    dof = obs.size - 1
    pval = float(stats.chi2.sf(chi2, dof))
    z = {"energy_histogram": _z_of_p(pval),
         "mean_energy": abs(eps.mean() - mean) / (eps.std(ddof=1) / math.sqrt(n))}
    if not case["fermi"]:
        p2 = np.sum(markers.p ** 2, axis=1)
        px = markers.p[:, 0]
        z["mean_px"] = abs(px.mean()) / (px.std(ddof=1) / math.sqrt(n))
        aniso = px ** 2 - p2 / 3.0
        z["px2_over_p2"] = abs(aniso.mean()) / (aniso.std(ddof=1) / math.sqrt(n))
    result = {"z": z, "chi2": chi2, "dof": dof, "p_value": pval, "mean_energy": float(eps.mean()),
              "mean_energy_exact": mean, "initial_mean_energy": float(energy[0]),
              "events_absorption": int(counts[:, 0].sum()),
              "events_emission": int(counts[:, 1].sum()),
              "events_acoustic": int(counts[:, 2].sum()),
              "late_absorption_over_emission": float(counts[steps // 2:, 0].sum()
                                                     / counts[steps // 2:, 1].sum()),
              "blocked": int(blocked), "n_markers": n}
    if case["fermi"]:
        result["max_occupation"] = float(np.nanmax(fmax))
        result["initial_max_occupation"] = fmax[0]
        result["bin_width"] = mechs[0].bin_width(markers, cells, 1.0)
    series = {"time": times, "energy": energy, "counts": counts, "observed": observed,
              "expected": expected, "weight": w}
    return result, series


def run(quick, outdir):
    outdir = pathlib.Path(outdir)
    c = parameters(quick)
    results, series = {}, {}
    for k, (label, case) in enumerate(c["cases"].items()):
        results[label], series[label] = run_case(label, case, c, seed=100 + k)
    fom = float(max(v for r in results.values() for v in r["z"].values()))
    pauli_ok = results["fermi_parabolic"]["max_occupation"] <= 1.0
    passed = fom <= TOLERANCE and pauli_ok

    labels = list(results)
    t = series[labels[0]]["time"]
    centres = np.append(_SHELLS[:-1] + 0.125, _SHELLS[-1] + 1.0)
    ds = xr.Dataset(
        {"mean_energy": (("case", "time"), [series[k]["energy"] for k in labels],
                         {"units": "J", "long_name": "mean band energy"}),
         "absorption": (("case", "step"), [series[k]["counts"][:, 0] for k in labels],
                        {"units": "1", "long_name": "optical absorption events per step"}),
         "emission": (("case", "step"), [series[k]["counts"][:, 1] for k in labels],
                      {"units": "1", "long_name": "optical emission events per step"}),
         "observed": (("case", "shell"), [series[k]["observed"] for k in labels],
                      {"units": "1", "long_name": "markers per energy shell at t_end"}),
         "expected": (("case", "shell"), [series[k]["expected"] for k in labels],
                      {"units": "1", "long_name": "expected markers per shell in equilibrium"}),
         "mean_energy_exact": ("case", [results[k]["mean_energy_exact"] for k in labels],
                               {"units": "J", "long_name": "equilibrium mean energy at T"})},
        coords={"case": ("case", labels), "time": ("time", t, {"units": "s"}),
                "step": ("step", np.arange(t.size - 1)),
                "shell": ("shell", centres, {"units": "J", "long_name": "shell centre "
                                                                        "(last: >= 8 kT)"})},
        attrs={"case": NAME, "quick": int(quick), "figure_of_merit": "max z", "tolerance":
               TOLERANCE, "passed": int(passed)})
    ds.to_netcdf(outdir / f"{NAME}.nc")
    _figure(ds, results, series, c, outdir / f"{NAME}.png")
    return Verdict(
        name=NAME, figure_of_merit="max z over energy histograms (chi-square as a normal "
                                   "quantile), mean energies and isotropy, vs the equilibrium "
                                   "at the lattice temperature",
        value=fom, tolerance=TOLERANCE, passed=passed,
        details={"results": results, "pauli_max_occupation_ok": pauli_ok})


def _figure(ds, results, series, c, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(16, 4.8))
    ax = axes[0]
    for k, case in enumerate(ds.case.values):
        ax.plot(ds.time, ds.mean_energy.sel(case=case), color=f"C{k}", label=str(case))
        ax.axhline(float(ds.mean_energy_exact.sel(case=case)), color=f"C{k}", ls=":")
    ax.set_xlabel("t")
    ax.set_ylabel("<eps> / kT (dotted: equilibrium at T)")
    ax.legend(fontsize=8)
    ax.set_title("relaxation of the heated gas")
    ax = axes[1]
    shells = _SHELLS
    width = shells[1] - shells[0]
    for k, case in enumerate(["maxwell_parabolic", "maxwell_kane"]):
        obs = series[case]["observed"][:-1]
        exp = series[case]["expected"][:-1]
        n = results[case]["n_markers"]
        ax.errorbar(shells[:-1] + width / 2, obs / (n * width), np.sqrt(obs) / (n * width),
                    fmt="o", ms=3, color=f"C{k}", label=f"{case} (z = "
                    f"{max(results[case]['z'].values()):.2f})")
        ax.plot(shells[:-1] + width / 2, exp / (n * width), "-", color=f"C{k}")
    ax.set_yscale("log")
    ax.set_xlabel("eps / kT")
    ax.set_ylabel("P(eps) at t_end; lines: g(eps) exp(-eps / kT)")
    ax.legend(fontsize=8)
    ax.set_title("classical: Maxwellian at the lattice T")
    ax = axes[2]
    case = "fermi_parabolic"
    r = results[case]
    obs = series[case]["observed"][:-1]
    w = series[case]["weight"]
    p_lo, p_hi = np.sqrt(2 * shells[:-1]), np.sqrt(2 * shells[1:])
    states = c["degeneracy"] * 4 * math.pi / 3 * (p_hi ** 3 - p_lo ** 3) / (2 * math.pi) ** 3
    f = obs * w / states
    e = shells[:-1] + width / 2
    ax.errorbar(e, f, np.sqrt(obs) * w / states, fmt="o", ms=3, color="C2",
                label=f"markers, Pauli blocking (z = {max(r['z'].values()):.2f})")
    ee = np.linspace(0, 8, 400)
    ax.plot(ee, 1 / (np.exp((ee - c["mu"]) / c["kT"]) + 1), "k-",
            label=f"Fermi-Dirac, mu = {c['mu']:g} kT")
    # the Maxwellian of the same density: f = n (2 pi hbar)^3 / (g (2 pi m kT)^(3/2)) e^(-eps/kT)
    f0 = _density(c) / (c["degeneracy"] * (c["kT"] / (2 * math.pi)) ** 1.5)
    ax.plot(ee, f0 * np.exp(-ee / c["kT"]), "k:", label="Maxwellian of the same density")
    ax.set_xlabel("eps / kT")
    ax.set_ylabel("occupation f(eps) at t_end")
    ax.set_ylim(0, 1.1 * max(1.0, f0))
    ax.legend(fontsize=8)
    ax.set_title(f"Fermi: max f over the run = {r['max_occupation']:.3f}")
    fig.suptitle(f"({NUMBER}) electrons under acoustic and optical phonons relax to the "
                 "equilibrium at the lattice temperature")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


if __name__ == "__main__":
    pmc.validate.script(run)
