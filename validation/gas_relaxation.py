"""(6) Relaxation of a homogeneous gas by binary collisions (pmc.collisions.Binary, Bird's NTC).

A spatially homogeneous gas (0D: one collision cell over the box; nothing streams, so the
markers only collide) of mass m = 1 in units where the final k_B T = 1, the density n = 1 and,
for Maxwell molecules, sigma g = kappa = 1, so that the time unit is the collision time 1 / nu
of one particle, nu = n kappa. In DSMC a marker is paired at the rate (N - 1) w kappa / V =
nu (N - 1) / N (it cannot collide with itself); that is the nu used below.

Checks (each a z statistic against an exact result):

1. **Bobylev-Krook-Wu.** For Maxwell molecules with isotropic scattering the Boltzmann equation
   has the exact solution (A. V. Bobylev, Sov. Phys. Dokl. 20, 820 (1976); M. Krook and
   T. T. Wu, Phys. Rev. Lett. 36, 1107 (1976))
   f(v, t) = (2 pi K)^(-3/2) exp(-v^2 / 2K) [(5K - 3) / 2K + (1 - K) v^2 / 2K^2],
   1 - K(t) = (1 - K0) exp(-nu t / 6), K0 = 2/3, whose moments are
   <v^4> = 30 K - 15 K^2 = 15 - 15 (1 - K)^2 and <v^6> = 315 K^2 - 210 K^3. The initial
   markers are drawn from f(v, 0) (a mixture: with probability (5K - 3) / 2K a Gaussian of
   variance K per axis, else sqrt(K) times a chi variate with 5 degrees of freedom in a random
   direction); <v^4>(t) and <v^6>(t) are compared with the closed forms at every saved time,
   standard error std(v^k) / sqrt(N).
2. **Temperature anisotropy.** For the same molecules the pressure tensor relaxes as
   dP/dt = -(nu / 2)(P - tr P / 3), so T_x - T_y = (T_x - T_y)(0) exp(-nu t / 2) exactly
   (from the moment equations of the isotropic Maxwell kernel; C. Truesdell and R. G. Muncaster,
   *Fundamentals of Maxwell's Kinetic Theory of a Simple Monatomic Gas*, Academic 1980). Start:
   a Maxwellian with T_x = 2, T_y = T_z = 1/2, total momentum removed. Standard error
   std(v_x^2 - v_y^2) / sqrt(N).
3. **H-theorem.** H(t) = int f ln f d^3v, estimated from a 3D velocity histogram (bins of 0.4
   v_th), must not rise between saved times by more than its noise, sqrt(var1 + var2) with
   var = (sum p ln^2 f - (sum p ln f)^2) / N (delta method; the two times are positively
   correlated, so this overstates the noise of the difference).
4. **Collision frequency.** In an equilibrium Maxwellian gas the rate of collisions per particle
   is nu = n <sigma g>: 4 n d^2 sqrt(pi kT / m) for hard spheres, and
   4 n d_ref^2 sqrt(pi kT_ref / m) (T / T_ref)^(1 - omega) for VHS (G. A. Bird, *Molecular Gas
   Dynamics and the Direct Simulation of Gas Flows*, Clarendon 1994, eq. 4.64), here at
   T = 2 T_ref, omega = 0.81. nu is measured as 2 (collisions) / (N t) in R independent runs
   (seeds) and compared by a t test with R - 1 degrees of freedom (its p value turned into the
   normal z with the same p).

Figure of merit: the largest |z| over all comparisons (checks 1, 2, 4) and the largest H rise
over its noise (check 3). Tolerance: the normal quantile for a family-wise false-alarm
probability of 0.27 % over all those comparisons (Bonferroni), about 4 for the ~90 comparisons.

Run as a script: ``python validation/gas_relaxation.py [--quick]``.
"""
import math
import pathlib
import time

import numpy as np
import xarray as xr
from scipy import stats

import pmc
import pmc.validate
from pmc.validate import Verdict

NUMBER = 6
NAME = "gas_relaxation"
FAMILY_ALARM = 0.0027
K0 = 2.0 / 3.0


def parameters(quick):
    return dict(n=40_000 if quick else 400_000, t_end=12.0, save_every=0.5, dt=0.05,
                rate_runs=8 if quick else 16, rate_n=20_000 if quick else 50_000,
                rate_steps=20, rate_dt=0.05, seed=6)


# ----------------------------------------------------------------------------- initial states
def bkw_velocities(rng, n, k=K0):
    """(3, n) velocities from the BKW distribution at K = k (kT/m = 1)."""
    gaussian = rng.random(n) < (5.0 * k - 3.0) / (2.0 * k)
    v = rng.standard_normal((3, n)) * math.sqrt(k)
    m = int((~gaussian).sum())
    direction = rng.standard_normal((3, m))
    direction /= np.linalg.norm(direction, axis=0)
    v[:, ~gaussian] = direction * math.sqrt(k) * np.sqrt(rng.chisquare(5, m))
    return v


def anisotropic_velocities(rng, n, tx=2.0, ty=0.5):
    v = rng.standard_normal((3, n)) * np.sqrt([[tx], [ty], [ty]])
    v -= v.mean(axis=1, keepdims=True)
    return v


def homogeneous(v):
    """Markers of unit total density in the unit box (one cell, 0D), mass 1: p = v."""
    n = v.shape[1]
    rng = np.random.default_rng(1)
    return pmc.Markers.from_components(rng.random((3, n)), np.ascontiguousarray(v),
                                       np.full(n, 1.0 / n))


UNIT_CELL = pmc.Cells([0.0, 0.0, 0.0], [1.0, 1.0, 1.0], 1)
#: The band of the gas: m = 1 (the collisions take their mass from it).
H = pmc.Hamiltonian(pmc.bands.Parabolic(mass=1.0))


# ----------------------------------------------------------------------------- estimators
def h_function(v, width=0.4, half=6.0):
    """(H, its standard error) from a 3D histogram of velocities (bins of ``width``)."""
    edges = np.arange(-half, half + width / 2, width)
    counts, _ = np.histogramdd(v.T, bins=(edges, edges, edges))
    counts = counts[counts > 0]
    n = v.shape[1]
    p = counts / n
    lnf = np.log(p / width ** 3)
    h = float(np.sum(p * lnf))
    var = float(np.sum(p * lnf ** 2) - h ** 2) / n
    return h, math.sqrt(max(var, 0.0))


def run_homogeneous(v, cross_section, prm, key, observe):
    """Collide the 0D gas; returns ``observe(velocities)`` at the saved times, and the
    mechanism."""
    markers = homogeneous(v)
    coll = pmc.collisions.Binary(cross_section, name=key).prepare(H, UNIT_CELL, markers)
    per_save = round(prm["save_every"] / prm["dt"])
    nsave = round(prm["t_end"] / prm["save_every"])
    frames = [observe(markers.momenta.T)]
    step = 0
    for _ in range(nsave):
        for _ in range(per_save):
            coll.collide(markers, prm["dt"], prm["seed"], step)
            step += 1
        frames.append(observe(markers.momenta.T))
    return np.array(frames), coll


def collision_rate_runs(cross_section, temperature, prm):
    """nu measured in independent runs of an equilibrium Maxwellian gas (n = 1, m = 1)."""
    out = []
    for r in range(prm["rate_runs"]):
        gas = pmc.states.Maxwellian(temperature=temperature, mass=1.0,
                                    x=((0, 1), (0, 1), (0, 1)), density=1.0)
        markers = pmc.sample(gas, prm["rate_n"], seed=1000 + r)
        coll = pmc.collisions.Binary(cross_section).prepare(H, UNIT_CELL, markers)
        events = sum(coll.collide(markers, prm["rate_dt"], 77 + r, s)
                     for s in range(prm["rate_steps"]))
        out.append(2.0 * events / (markers.n * prm["rate_steps"] * prm["rate_dt"]))
        clipped = coll.stats["clipped"] / max(coll.stats["candidates"], 1)
    return np.array(out), clipped


def t_to_z(t, dof):
    """The normal z with the two-sided p value of Student's t."""
    p = 2.0 * stats.t.sf(abs(t), dof)
    return float(stats.norm.isf(p / 2.0))


# ----------------------------------------------------------------------------- the case
def run(quick, outdir):
    started = time.perf_counter()
    prm = parameters(quick)
    outdir = pathlib.Path(outdir)
    rng = np.random.default_rng(prm["seed"])
    n = prm["n"]
    nu = (n - 1) / n  # pairing rate per marker, nu = n kappa = 1 up to (N - 1) / N
    times = np.arange(0.0, prm["t_end"] + 1e-9, prm["save_every"])

    # 1. BKW with Maxwell molecules
    mm = pmc.collisions.MaxwellMolecules(kappa=1.0)

    def bkw_observe(v):
        s2 = (v ** 2).sum(0)
        return [(s2 ** 2).mean(), (s2 ** 2).std(), (s2 ** 3).mean(), (s2 ** 3).std(),
                *h_function(v)]
    obs, bkw_coll = run_homogeneous(bkw_velocities(rng, n), mm, prm, "bkw", bkw_observe)
    kt = 1.0 - (1.0 - K0) * np.exp(-nu * times / 6.0)
    m4_exact = 30.0 * kt - 15.0 * kt ** 2
    m6_exact = 315.0 * kt ** 2 - 210.0 * kt ** 3
    m4, m4_err = obs[:, 0], obs[:, 1] / math.sqrt(n)
    m6, m6_err = obs[:, 2], obs[:, 3] / math.sqrt(n)
    z_m4 = (m4 - m4_exact) / m4_err
    z_m6 = (m6 - m6_exact) / m6_err
    h_bkw = obs[:, 4:6]

    # 2. temperature anisotropy with Maxwell molecules
    def aniso_observe(v):
        d = v[0] ** 2 - v[1] ** 2
        return [d.mean(), d.std(), *h_function(v)]
    obs, aniso_coll = run_homogeneous(anisotropic_velocities(rng, n), mm, prm, "aniso",
                                      aniso_observe)
    dt_meas, dt_err = obs[:, 0], obs[:, 1] / math.sqrt(n)
    dt_exact = dt_meas[0] * np.exp(-nu * times / 2.0)
    z_aniso = ((dt_meas - dt_exact) / dt_err)[1:]
    h_aniso = obs[:, 2:4]

    # 3. H never rises beyond its noise
    def rises(h):
        return (h[1:, 0] - h[:-1, 0]) / np.hypot(h[1:, 1], h[:-1, 1])
    rise_bkw, rise_aniso = rises(h_bkw), rises(h_aniso)

    # 4. equilibrium collision frequencies
    d_hs = 0.4  # nu = 4 d^2 sqrt(pi) = 1.13
    hs = pmc.collisions.HardSphere(diameter=d_hs)
    nu_hs, clip_hs = collision_rate_runs(hs, 1.0, prm)
    nu_hs_exact = 4.0 * d_hs ** 2 * math.sqrt(math.pi) * (prm["rate_n"] - 1) / prm["rate_n"]
    omega, t_ref = 0.81, 0.5
    vhs = pmc.collisions.VHS(diameter=d_hs, omega=omega, t_ref=t_ref)
    nu_vhs, clip_vhs = collision_rate_runs(vhs, 1.0, prm)
    nu_vhs_exact = (4.0 * d_hs ** 2 * math.sqrt(math.pi * t_ref) * (1.0 / t_ref) ** (1 - omega)
                    * (prm["rate_n"] - 1) / prm["rate_n"])
    runs = prm["rate_runs"]
    t_hs = (nu_hs.mean() - nu_hs_exact) / (nu_hs.std(ddof=1) / math.sqrt(runs))
    t_vhs = (nu_vhs.mean() - nu_vhs_exact) / (nu_vhs.std(ddof=1) / math.sqrt(runs))
    z_rates = np.array([t_to_z(t_hs, runs - 1), t_to_z(t_vhs, runs - 1)])

    # verdict
    z_abs = np.concatenate([np.abs(z_m4), np.abs(z_m6), np.abs(z_aniso), np.abs(z_rates)])
    ncomp = z_abs.size + rise_bkw.size + rise_aniso.size
    z_crit = float(stats.norm.isf(FAMILY_ALARM / (2.0 * ncomp)))
    worst_rise = float(max(rise_bkw.max(), rise_aniso.max()))
    value = float(max(z_abs.max(), worst_rise))
    passed = bool(value <= z_crit)

    ds = xr.Dataset(
        {"m4": ("time", m4, {"units": "(m/s)^4", "long_name": "<|v|^4> (BKW run)"}),
         "m4_stderr": ("time", m4_err, {"units": "(m/s)^4", "long_name": "standard error"}),
         "m4_exact": ("time", m4_exact, {"units": "(m/s)^4", "long_name": "BKW closed form"}),
         "m6": ("time", m6, {"units": "(m/s)^6", "long_name": "<|v|^6> (BKW run)"}),
         "m6_stderr": ("time", m6_err, {"units": "(m/s)^6", "long_name": "standard error"}),
         "m6_exact": ("time", m6_exact, {"units": "(m/s)^6", "long_name": "BKW closed form"}),
         "anisotropy": ("time", dt_meas, {"units": "J", "long_name": "T_x - T_y (m = 1)"}),
         "anisotropy_stderr": ("time", dt_err, {"units": "J", "long_name": "standard error"}),
         "anisotropy_exact": ("time", dt_exact, {"units": "J",
                                                 "long_name": "(T_x - T_y)(0) exp(-nu t / 2)"}),
         "H_bkw": ("time", h_bkw[:, 0], {"units": "1", "long_name": "H = int f ln f, BKW run"}),
         "H_bkw_stderr": ("time", h_bkw[:, 1], {"units": "1", "long_name": "standard error"}),
         "H_anisotropy": ("time", h_aniso[:, 0], {"units": "1",
                                                  "long_name": "H, anisotropy run"}),
         "H_anisotropy_stderr": ("time", h_aniso[:, 1], {"units": "1",
                                                         "long_name": "standard error"}),
         "nu_hard_sphere": ("run", nu_hs, {"units": "1/s", "long_name": "measured collision "
                                                                        "frequency, HS"}),
         "nu_vhs": ("run", nu_vhs, {"units": "1/s", "long_name": "measured collision "
                                                                 "frequency, VHS"})},
        coords={"time": ("time", times, {"units": "s", "long_name": "time (units of 1/nu)"}),
                "run": ("run", np.arange(runs))},
        attrs={"title": "pmc validation (6): homogeneous gas relaxation by binary collisions",
               "nu_hard_sphere_exact": nu_hs_exact, "nu_vhs_exact": nu_vhs_exact,
               "markers": n, "pmc_version": pmc.__version__})
    ds.to_netcdf(outdir / f"{NAME}.nc")
    figure(ds, outdir / f"{NAME}.png", z_crit)

    details = {
        "z_m4_max": float(np.abs(z_m4).max()), "z_m6_max": float(np.abs(z_m6).max()),
        "z_anisotropy_max": float(np.abs(z_aniso).max()),
        "h_rise_over_noise_max": worst_rise,
        "h_drop_bkw": float(h_bkw[0, 0] - h_bkw[-1, 0]),
        "nu_hard_sphere": [float(nu_hs.mean()), float(nu_hs.std(ddof=1) / math.sqrt(runs)),
                           nu_hs_exact],
        "nu_vhs": [float(nu_vhs.mean()), float(nu_vhs.std(ddof=1) / math.sqrt(runs)),
                   nu_vhs_exact],
        "z_rates": z_rates.tolist(), "comparisons": int(ncomp),
        "majorant_clipped_fraction": [clip_hs, clip_vhs,
                                      bkw_coll.stats["clipped"] / bkw_coll.stats["candidates"]],
        "collisions_per_marker_bkw": bkw_coll.stats["events"] * 2 / n,
        "markers": n, "seconds": round(time.perf_counter() - started, 1)}
    return Verdict(NAME, "max |z| over BKW moments, anisotropy decay and collision frequencies, "
                   "and max H rise / noise", value, z_crit, passed, details)


def figure(ds, path, z_crit):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(2, 2, figsize=(10, 7.5))
    t = ds.time.values
    a = ax[0, 0]
    a.errorbar(t, ds.m4, 3 * ds.m4_stderr, fmt="o", ms=3, label=r"$\langle v^4\rangle$ markers")
    a.plot(t, ds.m4_exact, "k-", lw=1, label="BKW exact")
    a.errorbar(t, ds.m6 / 7.0, 3 * ds.m6_stderr / 7.0, fmt="s", ms=3,
               label=r"$\langle v^6\rangle / 7$ markers")
    a.plot(t, ds.m6_exact / 7.0, "k--", lw=1)
    a.set_xlabel(r"$\nu t$")
    a.set_title("Bobylev-Krook-Wu (Maxwell molecules), error bars 3σ", fontsize=9)
    a.legend(fontsize=8)
    a = ax[0, 1]
    a.errorbar(t, ds.anisotropy, 3 * ds.anisotropy_stderr, fmt="o", ms=3, label="markers")
    a.plot(t, ds.anisotropy_exact, "k-", lw=1, label=r"$\Delta T(0)\,e^{-\nu t/2}$")
    a.set_yscale("symlog", linthresh=1e-2)
    a.set_xlabel(r"$\nu t$")
    a.set_ylabel(r"$T_x - T_y$")
    a.set_title("temperature anisotropy", fontsize=9)
    a.legend(fontsize=8)
    a = ax[1, 0]
    a.errorbar(t, ds.H_bkw, 3 * ds.H_bkw_stderr, fmt="o-", ms=3, label="BKW run")
    a.errorbar(t, ds.H_anisotropy, 3 * ds.H_anisotropy_stderr, fmt="s-", ms=3,
               label="anisotropy run")
    a.set_xlabel(r"$\nu t$")
    a.set_ylabel(r"$H = \int f \ln f\, d^3v$")
    a.set_title("H-theorem", fontsize=9)
    a.legend(fontsize=8)
    a = ax[1, 1]
    for k, (name, label) in enumerate((("nu_hard_sphere", "hard sphere"), ("nu_vhs", "VHS"))):
        vals = ds[name].values
        exact = ds.attrs[f"{name}_exact"]
        a.plot(np.full(vals.size, k) + 0.05 * np.arange(vals.size) / vals.size, vals / exact,
               ".", label=f"{label}: runs")
        err = vals.std(ddof=1) / math.sqrt(vals.size) / exact
        a.errorbar(k + 0.1, vals.mean() / exact, z_crit * err, fmt="ko", ms=4)
    a.axhline(1.0, color="k", lw=0.8)
    a.set_xticks([0, 1], ["HS", "VHS"])
    a.set_ylabel(r"$\nu_{\rm measured} / \nu_{\rm exact}$")
    a.set_title(r"equilibrium collision frequency (bar: tolerance)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


if __name__ == "__main__":
    pmc.validate.script(run)
