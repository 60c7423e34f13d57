"""(7) Quantum statistics of binary collisions: relaxation to Fermi-Dirac and Bose-Einstein.

The Uehling-Uhlenbeck equation (Phys. Rev. 43, 552 (1933)) with hard-sphere collisions,
sampled by ``pmc.collisions.Binary(statistics="fermi" | "bose")``: each candidate pair is
accepted with the final-state factor (1 - f3)(1 - f4) or (1 + f3)(1 + f4), f the occupation of
the final momentum bins counted from the cell's markers (A. L. Garcia and W. Wagner,
Phys. Rev. E 68, 056703 (2003)). A homogeneous gas (0D: one cell, nothing streams) in units
m = 1, degeneracy g = 1, 2 pi hbar = 1 and cell volume V = 1, so that n = int f d^3p.

Because collisions conserve particle number and energy exactly, the equilibrium the gas must
reach is fixed by the initial state: f_eq = 1 / (exp((p^2/2 - mu) / T) +- 1) with mu and T
solving n = int f_eq d^3p and E / N = int (p^2/2) f_eq d^3p / n for the measured n and E of the
markers (Landau and Lifshitz, *Statistical Physics* part 1, sections 53-56).

Initial states are laid on the lattice of the occupation bins (side dp, K = ``bin_capacity``
markers filling a bin), a given number of markers per bin, uniformly placed inside it, so that
no fermion bin starts over-full:

1. **Fermi-Dirac.** f = 1/2 in a sphere |p| < 1 (K = 4: two markers per bin), far from
   equilibrium (a step, not a Fermi edge; it relaxes to T ~ 0.6 T_F).
2. **Bose-Einstein.** f = 1/2 in the same sphere; it relaxes to mu < 0 with f(0) ~ 3, a
   distribution that a classical (Maxwell) fit of the same n and E misses by tens of standard
   errors at low energy.
3. **Degenerate Fermi gas.** A Fermi-Dirac gas at T = 0.1 T_F (p_F = 1, K = 1: each bin
   holds one marker with probability f at its centre). Almost every collision is blocked: the
   fraction of classically accepted pairs that the Pauli factor lets through is compared with
   its continuum value <g f1 f2 (1 - f3)(1 - f4)> / <g f1 f2> for the equilibrium at the
   markers' n and E (numpy Monte Carlo over pairs and isotropic directions, point-wise f).
   The bins average f over a cube of side dp; the reference is recomputed with f averaged over
   the final bins (uniform points in them) and that difference, the discretization's bias, is
   added to the tolerance (it is 0.8 % of the fraction at dp = p_F / 40).

Checks: at the end of each run the markers' energy histogram (equal-probability bins of the
equilibrium law) against N times the equilibrium probabilities, z = (count - N p) /
sqrt(N p (1 - p)) per bin (multinomial; Pauli exclusion only narrows the fluctuations); the
degenerate gas's allowed fraction, z = (measured - continuum) / sqrt(binomial variance +
reference variance) beyond the discretization bias; and the occupation never above 1 for the
fermions at any saved time (an exact check: bins of K markers).

Figure of merit: the largest |z|, tolerance the normal quantile for a family-wise false-alarm
probability of 0.27 % over all comparisons (Bonferroni); the case fails too if any fermion bin
ever held more than K markers.

Run as a script: ``python validation/quantum_statistics.py [--quick]``.
"""
import math
import pathlib
import time

import numpy as np
import xarray as xr
from scipy import integrate, optimize, stats

import pmc
import pmc.validate
from pmc.collisions.occupation import occupation
from pmc.validate import Verdict

NUMBER = 7
NAME = "quantum_statistics"
FAMILY_ALARM = 0.0027
HBAR = 1.0 / (2.0 * math.pi)  # 2 pi hbar = 1
CELL = pmc.Cells([0.0, 0.0, 0.0], [1.0, 1.0, 1.0], 1)
#: The band of the gas: m = 1, and hbar (the collisions take both from it).
H = pmc.Hamiltonian(pmc.bands.Parabolic(mass=1.0), hbar=HBAR)
SIGN = {"fermi": 1.0, "bose": -1.0}


def parameters(quick):
    return dict(lattice=14 if quick else 29, lattice_degenerate=22 if quick else 40,
                diameter=0.4, dt=0.1, t_end=16.0, save_every=2.0,
                degenerate_steps=30 if quick else 70, degenerate_dt=0.2,
                reference_pairs=400_000 if quick else 2_000_000, energy_bins=16, seed=7)


# ----------------------------------------------------------------------------- equilibria
def occupation_law(eps, mu, t, statistics):
    x = (eps - mu) / t
    if statistics == "maxwell":
        return np.exp(-x)
    if statistics == "fermi":
        return 0.5 * (1.0 - np.tanh(0.5 * x))
    return 1.0 / np.expm1(x)


def moments(mu, t, statistics):
    """(n, E/N) of f_eq with g / (2 pi hbar)^3 = 1, m = 1: Simpson's rule over |p| on 2^17
    intervals up to eps = max(mu, 0) + 60 T (the tail beyond is below e^-60)."""
    p = np.linspace(0.0, math.sqrt(2.0 * (max(mu, 0.0) + 60.0 * t)), 2 ** 17 + 1)
    eps = 0.5 * p * p
    dens = 4.0 * math.pi * p * p * occupation_law(eps, mu, t, statistics)
    n = integrate.simpson(dens, x=p)
    e = integrate.simpson(dens * eps, x=p)
    return n, (e / n if n > 0 else 0.0)


def equilibrium(n, e, statistics):
    """(mu, T) of the equilibrium with density n and energy per particle e."""
    def mu_for(t):
        lo, hi = -40.0 * t, (60.0 if statistics == "fermi" else -1e-12 * t)
        return optimize.brentq(lambda mu: moments(mu, t, statistics)[0] - n, lo, hi,
                               xtol=1e-14, rtol=1e-13)

    def energy_gap(t):
        return moments(mu_for(t), t, statistics)[1] - e
    lowest = 1e-3 * e
    if statistics == "bose":  # above condensation: n = zeta(3/2) (2 pi T_c)^(3/2)
        lowest = (n / 2.6123753486854883) ** (2.0 / 3.0) / (2.0 * math.pi) * 1.01
        if energy_gap(lowest) > 0:
            raise ValueError("this n and E (nearly) condense: choose a hotter initial state")
    t = optimize.brentq(energy_gap, lowest, 10.0 * e, xtol=1e-14, rtol=1e-12)
    return mu_for(t), t


# ----------------------------------------------------------------------------- initial states
def lattice_markers(counts, centres, dp, capacity, rng):
    """Markers uniformly inside momentum bins (``counts`` per bin at ``centres`` (3, nb)),
    weight dp^3 / K (so that K markers fill a bin), positions uniform in the unit cell."""
    reps = np.repeat(np.arange(counts.size), counts)
    n = reps.size
    # keep a 0.1 % margin from the bin faces, so that rounding never moves a marker across
    p = centres[:, reps] + dp * rng.uniform(-0.499, 0.499, (3, n))
    return pmc.Markers.from_components(rng.random((3, n)), np.ascontiguousarray(p),
                                       np.full(n, dp ** 3 / capacity))


def bin_centres(dp, radius):
    m = int(math.ceil(radius / dp)) + 1
    r = (np.arange(-m, m) + 0.5) * dp
    return np.stack(np.meshgrid(r, r, r, indexing="ij"), 0).reshape(3, -1)


def sphere_state(lattice, per_bin, capacity, rng):
    """f = per_bin / K in the bins whose centre lies inside |p| < 1 (dp = 1 / lattice)."""
    dp = 1.0 / lattice
    c = bin_centres(dp, 1.0)
    inside = (c ** 2).sum(0) < 1.0
    counts = np.where(inside, per_bin, 0)
    return lattice_markers(counts, c, dp, capacity, rng), dp


def degenerate_state(lattice, t_over_tf, rng):
    """K = 1: each bin holds one marker with probability f_FD at its centre (p_F = 1)."""
    dp = 1.0 / lattice
    t = t_over_tf * 0.5
    n_f = 4.0 * math.pi / 3.0  # f = 1 inside |p| < p_F = 1 at T = 0
    mu = optimize.brentq(lambda mu: moments(mu, t, "fermi")[0] - n_f, 0.0, 1.0)
    c = bin_centres(dp, math.sqrt(2.0 * (mu + 40.0 * t)))
    f = occupation_law(0.5 * (c ** 2).sum(0), mu, t, "fermi")
    counts = (rng.random(f.size) < f).astype(np.int64)
    return lattice_markers(counts, c, dp, 1, rng), dp


# ----------------------------------------------------------------------------- measurements
def sample_state(markers):
    p = markers.momenta.T
    w = markers.w[0]
    n = markers.n * w  # V = 1
    e = 0.5 * float((p ** 2).sum()) / markers.n
    return n, e


def energy_histogram_z(markers, mu, t, statistics, nbins):
    """Counts of p^2/2 in bins of equal equilibrium probability, their expectations and z."""
    eps_hi = max(mu, 0.0) + 60.0 * t
    grid = np.linspace(0.0, math.sqrt(2.0 * eps_hi), 200_001)
    dens = 4 * math.pi * grid ** 2 * occupation_law(0.5 * grid ** 2, mu, t, statistics)
    cdf = np.concatenate([[0.0], np.cumsum(0.5 * (dens[1:] + dens[:-1]) * np.diff(grid))])
    cdf /= cdf[-1]
    p_edges = np.interp(np.linspace(0.0, 1.0, nbins + 1), cdf, grid)
    p_edges[-1] = np.inf
    eps_edges = 0.5 * p_edges ** 2
    eps = 0.5 * (markers.momenta.T ** 2).sum(0)
    counts, _ = np.histogram(eps, bins=eps_edges)
    prob = 1.0 / nbins
    expected = markers.n * prob
    z = (counts - expected) / math.sqrt(markers.n * prob * (1 - prob))
    return counts, eps_edges, z


def allowed_fraction_reference(mu, t, dp, pairs, rng):
    """The unblocked fraction <g f1 f2 (1 - f3)(1 - f4)> / <g f1 f2> of hard-sphere collisions
    in the Fermi-Dirac gas (mu, t), by Monte Carlo over pairs and isotropic directions:

    * continuum: p1, p2 drawn from f, the factors from f at p3, p4;
    * binned (the method's own law, K = 1): p1, p2 placed uniformly in the bins of the
      continuum draws (the markers' law: f averaged over a bin, uniform inside it), the factors
      from f averaged over the final bins (uniform points in them), a final bin that held
      marker 1 or 2 empty (it was vacated) and, for marker 4, the bin of marker 3 full.

    Returns (continuum, its standard error, binned - continuum, the difference's standard
    error)."""
    grid = np.linspace(0.0, math.sqrt(2.0 * (mu + 40.0 * t)), 40_001)
    dens = grid ** 2 * occupation_law(0.5 * grid ** 2, mu, t, "fermi")
    cdf = np.cumsum(dens)
    cdf /= cdf[-1]

    def draw(k):
        r = np.interp(rng.random(k), cdf, grid)
        v = rng.standard_normal((k, 3))
        return v / np.linalg.norm(v, axis=1)[:, None] * r[:, None]

    def f(q):
        return occupation_law(0.5 * (q ** 2).sum(1), mu, t, "fermi")

    def smear(q):
        return (np.floor(q / dp) + rng.random(q.shape)) * dp

    def factors(p1, p2, binned):
        g = np.linalg.norm(p1 - p2, axis=1)
        v = rng.standard_normal(p1.shape)
        v /= np.linalg.norm(v, axis=1)[:, None]
        half = 0.5 * (p1 + p2)
        p3, p4 = half + 0.5 * g[:, None] * v, half - 0.5 * g[:, None] * v
        if not binned:
            return g, g * (1 - f(p3)) * (1 - f(p4))
        b = [np.floor(q / dp).astype(np.int64) for q in (p1, p2, p3, p4)]
        same = lambda x, y: np.all(x == y, axis=1)  # noqa: E731
        f3 = np.where(same(b[2], b[0]) | same(b[2], b[1]), 0.0, f(smear(p3)))
        f4 = np.where(same(b[3], b[0]) | same(b[3], b[1]), 0.0, f(smear(p4)))
        f4 = np.where(same(b[3], b[2]), 1.0, f4)
        return g, g * (1 - f3) * (1 - f4)

    chunk = 200_000
    cont, diff = [], []
    for _ in range(max(1, pairs // chunk)):
        p1, p2 = draw(chunk), draw(chunk)
        g, a = factors(p1, p2, False)
        gb, b = factors(smear(p1), smear(p2), True)
        cont.append(a / g.mean())
        diff.append(b / gb.mean() - a / g.mean())
    cont, diff = np.concatenate(cont), np.concatenate(diff)
    m = cont.size
    return (cont.mean(), cont.std() / math.sqrt(m), diff.mean(), diff.std() / math.sqrt(m))


# ----------------------------------------------------------------------------- runs
def relax(markers, statistics, capacity, prm):
    coll = pmc.collisions.Binary(pmc.collisions.HardSphere(diameter=prm["diameter"]),
                                 statistics=statistics, degeneracy=1.0, bin_capacity=capacity,
                                 name=statistics).prepare(H, CELL, markers)
    per_save = round(prm["save_every"] / prm["dt"])
    nsave = round(prm["t_end"] / prm["save_every"])
    fmax = [np.nanmax(occupation(markers, CELL, hbar=HBAR, degeneracy=1.0,
                                 capacity=capacity))]
    step = 0
    for _ in range(nsave):
        for _ in range(per_save):
            coll.collide(markers, prm["dt"], prm["seed"], step)
            step += 1
        fmax.append(np.nanmax(occupation(markers, CELL, hbar=HBAR, degeneracy=1.0,
                                         capacity=capacity)))
    return coll, np.array(fmax)


def run(quick, outdir):
    started = time.perf_counter()
    prm = parameters(quick)
    outdir = pathlib.Path(outdir)
    rng = np.random.default_rng(prm["seed"])
    results = {}
    z_all = []
    for statistics in ("fermi", "bose"):
        markers, dp = sphere_state(prm["lattice"], 2, 4, rng)
        initial = markers.copy()
        n, e = sample_state(markers)
        mu, t = equilibrium(n, e, statistics)
        coll, fmax = relax(markers, statistics, 4, prm)
        n1, e1 = sample_state(markers)
        counts, edges, z = energy_histogram_z(markers, mu, t, statistics, prm["energy_bins"])
        counts0, _, z0 = energy_histogram_z(initial, mu, t, statistics, prm["energy_bins"])
        # the Maxwellian of the same n and E (kT = 2E/3N) as a foil
        mu_c = t_c = None
        z_classical = None
        if statistics == "bose":
            t_c = 2.0 * e / 3.0
            mu_c = t_c * math.log(n * (2 * math.pi * t_c) ** -1.5)
            _, _, z_classical = energy_histogram_z(markers, mu_c, t_c, "maxwell",
                                                   prm["energy_bins"])
        z_all.append(z)
        results[statistics] = dict(markers=markers.n, dp=dp, mu=mu, temperature=t, n=n, e=e,
                                   n_drift=abs(n1 / n - 1), e_drift=abs(e1 / e - 1),
                                   counts=counts, counts_initial=counts0, edges=edges, z=z,
                                   z_initial=z0, fmax=fmax, stats=dict(coll.stats),
                                   z_classical=z_classical, weight=markers.w[0],
                                   mu_classical=mu_c, t_classical=t_c)

    # the degenerate Fermi gas
    markers, dp = degenerate_state(prm["lattice_degenerate"], 0.1, rng)
    n, e = sample_state(markers)
    mu, t = equilibrium(n, e, "fermi")
    coll = pmc.collisions.Binary(pmc.collisions.HardSphere(diameter=prm["diameter"]),
                                 statistics="fermi", degeneracy=1.0, bin_capacity=1,
                                 name="degenerate").prepare(H, CELL, markers)
    fmax_deg = []
    for s in range(prm["degenerate_steps"]):
        coll.collide(markers, prm["degenerate_dt"], prm["seed"], s)
        if s % 10 == 9:
            fmax_deg.append(np.nanmax(occupation(markers, CELL, hbar=HBAR, degeneracy=1.0,
                                                 capacity=1)))
    st = coll.stats
    accepted = st["accepted_classically"]
    allowed = st["events"] / accepted
    ref, ref_err, bias, bias_err = allowed_fraction_reference(mu, t, dp, prm["reference_pairs"],
                                                              rng)
    sd = math.sqrt(allowed * (1 - allowed) / accepted + ref_err ** 2 + bias_err ** 2)
    z_deg = (abs(allowed - ref) - abs(bias)) / sd
    _, _, z_deg_hist = energy_histogram_z(markers, mu, t, "fermi", prm["energy_bins"])
    z_all.append(z_deg_hist)

    z_abs = np.concatenate([np.abs(z) for z in z_all] + [[max(z_deg, 0.0)]])
    z_crit = float(stats.norm.isf(FAMILY_ALARM / (2.0 * z_abs.size)))
    fmax_all = float(max(results["fermi"]["fmax"].max(), max(fmax_deg)))
    value = float(z_abs.max())
    passed = bool(value <= z_crit and fmax_all <= 1.0)

    # output
    fd, be = results["fermi"], results["bose"]
    ds = xr.Dataset(
        {"counts_fermi": ("energy_bin", fd["counts"], {"units": "1", "long_name":
                          "markers per energy bin at the end, Fermi run"}),
         "counts_fermi_initial": ("energy_bin", fd["counts_initial"], {"units": "1",
                                  "long_name": "markers per energy bin at t = 0"}),
         "counts_bose": ("energy_bin", be["counts"], {"units": "1", "long_name":
                         "markers per energy bin at the end, Bose run"}),
         "counts_bose_initial": ("energy_bin", be["counts_initial"], {"units": "1",
                                 "long_name": "markers per energy bin at t = 0"}),
         "z_fermi": ("energy_bin", fd["z"], {"units": "1", "long_name": "(count - N p) / sd"}),
         "z_bose": ("energy_bin", be["z"], {"units": "1", "long_name": "(count - N p) / sd"}),
         "z_bose_maxwell": ("energy_bin", be["z_classical"], {"units": "1", "long_name":
                            "z against the Maxwellian of the same n and E"}),
         "energy_lo_fermi": ("energy_bin", fd["edges"][:-1], {"units": "J",
                             "long_name": "lower bin edge"}),
         "energy_lo_bose": ("energy_bin", be["edges"][:-1], {"units": "J",
                            "long_name": "lower bin edge"}),
         "max_occupation_fermi": ("save", fd["fmax"], {"units": "1",
                                  "long_name": "largest fermion bin occupation"})},
        coords={"energy_bin": np.arange(prm["energy_bins"]),
                "save": ("save", np.arange(fd["fmax"].size) * prm["save_every"],
                         {"units": "s", "long_name": "time of the saved state"})},
        attrs={"title": "pmc validation (7): relaxation to Fermi-Dirac and Bose-Einstein",
               "mu_fermi": fd["mu"], "T_fermi": fd["temperature"], "mu_bose": be["mu"],
               "T_bose": be["temperature"], "allowed_fraction_markers": allowed,
               "allowed_fraction_continuum": ref, "allowed_fraction_binning_bias": bias,
               "pmc_version": pmc.__version__})
    ds.to_netcdf(outdir / f"{NAME}.nc")
    figure(ds, results, outdir / f"{NAME}.png", allowed, ref, sd, bias)

    details = {
        "fermi": {"mu": fd["mu"], "T": fd["temperature"], "T_over_TF":
                  fd["temperature"] / (0.5 * (3 * fd["n"] / (4 * math.pi)) ** (2 / 3)),
                  "z_max": float(np.abs(fd["z"]).max()),
                  "z_max_initial": float(np.abs(fd["z_initial"]).max()),
                  "max_occupation": float(fd["fmax"].max()), "markers": fd["markers"],
                  "blocked_fraction": fd["stats"]["blocked"] / fd["stats"]["accepted_classically"],
                  "number_energy_drift": [fd["n_drift"], fd["e_drift"]]},
        "bose": {"mu": be["mu"], "T": be["temperature"],
                 "f0": float(1.0 / math.expm1(-be["mu"] / be["temperature"])),
                 "z_max": float(np.abs(be["z"]).max()),
                 "z_max_initial": float(np.abs(be["z_initial"]).max()),
                 "z_max_vs_maxwellian": float(np.abs(be["z_classical"]).max()),
                 "markers": be["markers"], "number_energy_drift": [be["n_drift"], be["e_drift"]],
                 "clipped": be["stats"]["clipped"]},
        "degenerate": {"T_over_TF": 0.1, "mu": mu, "T": t, "markers": markers.n,
                       "allowed_fraction": allowed, "continuum": ref,
                       "continuum_stderr": ref_err, "binning_bias": bias,
                       "binning_bias_stderr": bias_err, "binned_reference": ref + bias,
                       "blocked_fraction": 1 - allowed, "z_beyond_bias": z_deg,
                       "classical_accepts": accepted,
                       "max_occupation": float(max(fmax_deg)),
                       "z_hist_max": float(np.abs(z_deg_hist).max())},
        "comparisons": int(z_abs.size), "max_fermion_occupation": fmax_all,
        "seconds": round(time.perf_counter() - started, 1)}
    return Verdict(NAME, "max |z| of the equilibrium energy histograms (FD, BE, degenerate FD) "
                   "and of the degenerate gas's unblocked fraction", value, z_crit, passed,
                   details)


def figure(ds, results, path, allowed, ref, sd, bias):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(1, 3, figsize=(14, 4.2))
    for a, key in zip(ax[:2], ("fermi", "bose")):
        r = results[key]
        edges = r["edges"][:-1]  # the last bin is open
        p = np.sqrt(2.0 * edges)
        shell = 4.0 * math.pi / 3.0 * (p[1:] ** 3 - p[:-1] ** 3)  # states per bin (V = 1)
        mid = 0.5 * (edges[1:] + edges[:-1])
        for counts, style, label in ((r["counts_initial"], "C1-", "initial"),
                                     (r["counts"], "C0o", "markers, end (±3σ)")):
            fb = counts[:-1] * r["weight"] / shell
            err = np.sqrt(counts[:-1]) * r["weight"] / shell
            if label.startswith("initial"):
                a.step(mid, fb, "C1", where="mid", label=label)
            else:
                a.errorbar(mid, fb, 3 * err, fmt="o", ms=3, color="C0", label=label)
        eps = np.linspace(1e-4, edges[-1] * 1.1, 400)
        a.plot(eps, occupation_law(eps, r["mu"], r["temperature"], key), "k-", lw=1,
               label=("Fermi-Dirac" if key == "fermi" else "Bose-Einstein") + " (same n, E)")
        if r["mu_classical"] is not None:
            a.plot(eps, occupation_law(eps, r["mu_classical"], r["t_classical"], "maxwell"),
                   "k:", lw=1, label="Maxwell-Boltzmann (same n, E)")
        a.set_xlabel(r"$\varepsilon = p^2/2m$")
        a.set_ylabel("occupation f (bin average)")
        label = "Fermi-Dirac" if key == "fermi" else "Bose-Einstein"
        a.set_title(f"relaxation to {label}: mu = {r['mu']:.3f}, T = {r['temperature']:.3f}",
                    fontsize=9)
        a.legend(fontsize=8)
    a = ax[2]
    a.errorbar([0], [allowed], [3 * sd], fmt="o", label="markers (±3σ)")
    a.axhline(ref, color="k", label="continuum <g f f (1-f)(1-f)> / <g f f>")
    a.axhspan(ref - abs(bias), ref + abs(bias), color="0.85", label="± binning bias")
    a.set_xticks([])
    a.set_ylabel("unblocked fraction of classical collisions")
    a.set_title("degenerate Fermi gas, T = 0.1 T_F", fontsize=9)
    a.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


if __name__ == "__main__":
    pmc.validate.script(run)
