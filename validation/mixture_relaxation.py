"""(60) A helium-argon mixture relaxing to one temperature (pmc.collisions.BinaryMixture).

Helium at T_1 = 1500 K and argon at T_2 = 300 K, both Maxwellian, at rest, in a homogeneous gas
(0D: R independent replicas, one collision cell each; nothing streams), with VSS cross sections
(G. A. Bird, *Molecular Gas Dynamics and the Direct Simulation of Gas Flows*, Clarendon 1994,
table A2: He d = 2.30e-10 m, omega = 0.66, alpha = 1.26; Ar d = 4.11e-10 m, omega = 0.81,
alpha = 1.40; T_ref = 273 K) mixed by Bird's rules, and unequal statistical weights
(w_He = 2 w_Ar, n_He = 2 n_Ar: as many markers of each).

**Initial rate (exact).** Collisions between like molecules leave a species' temperature alone;
an unlike collision with isotropic scattering changes the energy of molecule 1 by
mu V . (g' - g) on average, V the centre-of-mass velocity and g the relative velocity, and by
(1 - <cos chi>) = 2 / (alpha + 1) times that for VSS scattering. For two Maxwellians at rest at
T_1, T_2 the conditional mean of V given g is g k (T_1 - T_2) / (M s^2), s^2 = k T* / mu,
T* = (m_2 T_1 + m_1 T_2) / M, M = m_1 + m_2, and g is Maxwellian with variance s^2 per axis,
so with sigma g = a g^beta (the pair's VHS law)

    dT_1/dt = -lambda_1 (T_1 - T_2),
    lambda_1 = (4/3) n_2 (mu / M) (2 / (alpha + 1)) a (2 s^2)^(beta/2) Gamma((5 + beta)/2)
               / Gamma(3/2),

and lambda_2 the same with n_1 (the collision integral for energy exchange between Maxwellians
of different temperatures; for hard spheres it is the classical result of T. F. Morse, Phys.
Fluids 6, 1420 (1963)). The initial slopes dT_1/dt, dT_2/dt are measured per replica by a
quadratic fit of T_s(t) over the first 15 % of the relaxation time and compared with the exact
values: z = (mean - exact) / (std / sqrt(R)).

**Final temperature (exact).** Energy is conserved per cell and step (pair by pair for the
momentum; Boyd's deficit of unequal weights is returned per species and cell), so each
replica ends at T_f = (E - P^2 / 2M_tot) / (3/2 sum w), from its own initial energy E and
momentum P; at the end both species temperatures must equal it (z over the replicas), and E
must be unchanged to 1e-12.

The whole curve is shown beside the solution of the two-temperature ODE (Maxwellian species at
all times, an approximation after t = 0).

Figure of merit: the largest |z| of the four comparisons; tolerance: the normal quantile of a
family-wise false-alarm probability of 0.27 % (Bonferroni over 4, two-sided: 3.4).

Run as a script: ``python validation/mixture_relaxation.py [--quick]``.
"""
import math
import pathlib
import sys
import time

import numpy as np
import xarray as xr
from scipy import integrate, stats

import pmc
import pmc.validate
from pmc.validate import Verdict

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from _replicas import Replicas  # noqa: E402

NUMBER = 60
NAME = "mixture_relaxation"
FAMILY_ALARM = 0.0027
K = pmc.units.K


def parameters(quick):
    return dict(replicas=16 if quick else 64, markers_per_species=2500 if quick else 10_000,
                fit_steps=60, fit_fraction=0.15, relaxation_times=8.0, total_steps=200,
                seed=60)


def mixture():
    t_ref = 273.0 * K
    he = pmc.Species("He", 6.646e-27, pmc.collisions.VSS(2.30e-10, 0.66, t_ref, alpha=1.26),
                     weight=2.0)
    ar = pmc.Species("Ar", 6.634e-26, pmc.collisions.VSS(4.11e-10, 0.81, t_ref, alpha=1.40),
                     weight=1.0)
    return pmc.Mixture([he, ar])


def exchange_rate(mix, a, b, n_b, t_a, t_b):
    """lambda_a [1/s] of dT_a/dt = -lambda_a (T_a - T_b) for Maxwellians at k T_a, k T_b [J],
    n_b [1/m^3] molecules of species b (module docstring)."""
    m1 = mix.species[mix.index(a)].mass
    m2 = mix.species[mix.index(b)].mass
    mu = m1 * m2 / (m1 + m2)
    coef, beta = mix.power_law(a, b)
    alpha = mix.pair(a, b)[3]
    t_star = (m2 * t_a + m1 * t_b) / (m1 + m2)
    s2 = t_star / mu
    return (4.0 / 3.0 * n_b * mu / (m1 + m2) * 2.0 / (alpha + 1.0) * coef
            * (2.0 * s2) ** (0.5 * beta) * math.gamma(0.5 * (5.0 + beta)) / math.gamma(1.5))


def run(quick, outdir):
    started = time.perf_counter()
    prm = parameters(quick)
    outdir = pathlib.Path(outdir)
    mix = mixture()
    n_ar = 1e22  # [1/m^3]
    n_he = 2.0 * n_ar
    t1, t2 = 1500.0 * K, 300.0 * K
    side = (prm["markers_per_species"] * mix.species[1].weight / n_ar) ** (1.0 / 3.0)
    gas = Replicas(mix, prm["replicas"], side, prm["seed"], "mixture",
                   density={"He": n_he, "Ar": n_ar}, temperature={"He": t1, "Ar": t2})
    W, kin, _, P = gas.species_sums()
    dens = W / side ** 3  # (R, S) actual densities
    lam1 = exchange_rate(mix, "He", "Ar", dens[:, 1].mean(), t1, t2)
    lam2 = exchange_rate(mix, "Ar", "He", dens[:, 0].mean(), t2, t1)
    tau = 1.0 / (lam1 + lam2)  # e-folding time of T_1 - T_2 at the start
    dt = prm["fit_fraction"] * tau / prm["fit_steps"]
    # the exact initial slopes, from each replica's own initial temperatures and densities
    t0_tr, _ = gas.temperatures()
    exact = np.array([[-exchange_rate(mix, "He", "Ar", d[1], a, b) * (a - b),
                       -exchange_rate(mix, "Ar", "He", d[0], b, a) * (b - a)]
                      for d, (a, b) in zip(dens, t0_tr)])  # (R, 2)
    e0 = gas.energies()
    p0 = P.sum(axis=1)
    mtot = np.bincount(gas.replica, gas.markers.w * mix.masses[gas.markers.state], gas.count)
    t_final = (e0 - 0.5 * np.sum(p0 ** 2, axis=1) / mtot) / (1.5 * W.sum(axis=1))

    times, temps = [0.0], [t0_tr]
    for k in range(prm["fit_steps"]):
        gas.step(dt)
        times.append((k + 1) * dt)
        temps.append(gas.temperatures()[0])
    fit_t = np.array(times)
    fit_T = np.array(temps)  # (time, R, S)
    slopes = np.empty((gas.count, 2))
    for r in range(gas.count):
        for s in range(2):
            slopes[r, s] = np.polyfit(fit_t, fit_T[:, r, s], 2)[1]
    # then on to equilibrium with longer steps
    t_end = prm["relaxation_times"] * tau
    rest = prm["total_steps"]
    dt_rest = (t_end - fit_t[-1]) / rest
    for k in range(rest):
        gas.step(dt_rest)
        times.append(times[-1] + dt_rest)
        temps.append(gas.temperatures()[0])
    times = np.array(times)
    temps = np.array(temps)
    e1 = gas.energies()
    energy_error = float(np.max(np.abs(e1 - e0) / e0))

    R = gas.count
    diff = slopes - exact
    z_slope = diff.mean(axis=0) / (diff.std(axis=0, ddof=1) / math.sqrt(R))
    end = temps[-1] - t_final[:, None]
    z_end = end.mean(axis=0) / (end.std(axis=0, ddof=1) / math.sqrt(R))
    z = np.concatenate([z_slope, z_end])
    z_crit = float(stats.norm.isf(FAMILY_ALARM / (2.0 * z.size)))
    value = float(np.abs(z).max())
    passed = bool(value <= z_crit and energy_error < 1e-12)

    # two-temperature ODE (Maxwellian species throughout), for the figure
    n1, n2 = dens[:, 0].mean(), dens[:, 1].mean()

    def rhs(_, y):
        a, b = y
        return [-exchange_rate(mix, "He", "Ar", n2, a, b) * (a - b),
                -exchange_rate(mix, "Ar", "He", n1, b, a) * (b - a)]
    mean0 = t0_tr.mean(axis=0)
    ode = integrate.solve_ivp(rhs, (0.0, times[-1]), mean0, t_eval=times, rtol=1e-10,
                              atol=1e-30).y.T

    mean_T = temps.mean(axis=1)
    err_T = temps.std(axis=1, ddof=1) / math.sqrt(R)
    ds = xr.Dataset(
        {"species_temperature": (("time", "species"), mean_T / K,
                                 {"units": "K", "long_name": "translational temperature, mean "
                                                             "over replicas"}),
         "species_temperature_stderr": (("time", "species"), err_T / K,
                                        {"units": "K", "long_name": "standard error"}),
         "ode_temperature": (("time", "species"), ode / K,
                             {"units": "K", "long_name": "two-temperature ODE (Maxwellian "
                                                         "species)"}),
         "final_temperature": ((), t_final.mean() / K,
                               {"units": "K", "long_name": "T_f from energy conservation"}),
         "initial_slope": (("replica", "species"), slopes / K,
                           {"units": "K/s", "long_name": "dT/dt at t = 0, quadratic fit"}),
         "initial_slope_exact": (("replica", "species"), exact / K,
                                 {"units": "K/s", "long_name": "exact dT/dt at t = 0"})},
        coords={"time": ("time", times, {"units": "s"}), "species": ["He", "Ar"],
                "replica": np.arange(R)},
        attrs={"title": "pmc validation (60): He-Ar mixture temperature relaxation",
               "pmc_version": pmc.__version__, "markers": gas.markers.n})
    ds.to_netcdf(outdir / f"{NAME}.nc")
    figure(ds, outdir / f"{NAME}.png", tau, z_slope, z_end)

    details = {"z_initial_slope": z_slope.tolist(), "z_final_temperature": z_end.tolist(),
               "initial_slope_ratio": (slopes.mean(axis=0) / exact.mean(axis=0)).tolist(),
               "initial_slope_ratio_stderr": (slopes.std(axis=0, ddof=1) / math.sqrt(R)
                                              / np.abs(exact.mean(axis=0))).tolist(),
               "final_temperature_K": float(t_final.mean() / K),
               "end_temperatures_K": (temps[-1].mean(axis=0) / K).tolist(),
               "energy_relative_error": energy_error,
               "relaxation_time_s": tau, "replicas": R, "markers": gas.markers.n,
               "collisions": gas.operator.stats["events"],
               "clipped_fraction": gas.operator.stats["clipped"]
               / max(gas.operator.stats["candidates"], 1),
               "seconds": round(time.perf_counter() - started, 1)}
    return Verdict(NAME, "max |z| of the initial dT/dt of He and Ar against the collision "
                   "integral and of the final temperatures against energy conservation",
                   value, z_crit, passed, details)


def figure(ds, path, tau, z_slope, z_end):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(1, 2, figsize=(10, 4))
    t = ds.time.values / tau
    a = ax[0]
    for k, sp in enumerate(ds.species.values):
        a.errorbar(t, ds.species_temperature[:, k], 3 * ds.species_temperature_stderr[:, k],
                   fmt=".", ms=2, label=f"{sp} markers")
        a.plot(t, ds.ode_temperature[:, k], "k-", lw=0.8)
    a.axhline(float(ds.final_temperature), color="gray", ls="--", lw=0.8,
              label="T_f (energy)")
    a.set_xlabel(r"$t / \tau$")
    a.set_ylabel("T [K]")
    a.set_title("He-Ar relaxation (lines: two-temperature ODE)", fontsize=9)
    a.legend(fontsize=8)
    a = ax[1]
    nfit = int(np.argmax(t > 0.15)) or t.size
    for k, sp in enumerate(ds.species.values):
        y = ds.species_temperature[:nfit, k]
        a.plot(t[:nfit], y - y[0], ".", ms=3, label=f"{sp}: z = {z_slope[k]:.2f}")
        slope = float(ds.initial_slope_exact[:, k].mean()) * tau
        a.plot(t[:nfit], slope * t[:nfit], "k-", lw=0.8)
    a.set_xlabel(r"$t / \tau$")
    a.set_ylabel(r"$T - T(0)$ [K]")
    a.set_title(f"initial rate (lines: exact slope); end z = {z_end[0]:.2f}, {z_end[1]:.2f}",
                fontsize=9)
    a.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


if __name__ == "__main__":
    pmc.validate.script(run)
