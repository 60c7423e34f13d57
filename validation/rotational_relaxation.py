"""(61) Rotational relaxation of nitrogen by Larsen-Borgnakke exchange (pmc.collisions.BinaryMixture).

Nitrogen (VSS: d = 4.11e-10 m, omega = 0.74, alpha = 1.36 at T_ref = 273 K; G. A. Bird,
*Molecular Gas Dynamics and the Direct Simulation of Gas Flows*, Clarendon 1994, table A2) with
two rotational degrees of freedom and a constant rotational relaxation number Z = 5, starting
from a Maxwellian at T_tr = 600 K and a Boltzmann distribution of rotational energies at
T_rot = 150 K, in a homogeneous gas (0D: R independent replicas, one collision cell each).

The Landau-Teller law with tau_rot = Z tau_c, tau_c = 1 / nu the mean collision time of a
molecule,

    dT_rot/dt = (T_tr - T_rot) / (Z tau_c),      (3/2) dT_tr/dt = -dT_rot/dt,

is what the exchange probability of :mod:`pmc._kernels.mixture` is built to give; it is exact at
t = 0, where the translational and rotational distributions are Maxwellian and Boltzmann (the
mean change of e_rot per collision is linear in the mean energies of the pool). Checks:

1. **Initial rate.** dT_rot/dt at t = 0, by a quadratic fit of T_rot(t) over the first 10 % of
   tau_rot per replica, against (T_tr - T_rot) nu / Z, nu = (N - 1) w <sigma g> / V
   (<sigma g> from Bird's VHS formula at the replica's initial T_tr); z over the replicas.
2. **Exponential rate.** In collisions per molecule c(t) = 2 (pair collisions) / N (measured),
   T_tr - T_rot = (T_tr - T_rot)(0) exp(-(5/3) c / Z): the rate kappa of a least-squares fit
   of exp(-kappa c) per replica (while the gap is above a tenth of its start) against
   5 / (3 Z); z over the replicas.
3. **Equipartition.** At the end (8 e-foldings) T_tr = T_rot = T_f, T_f fixed by each replica's
   energy, (5/2) k T_f = (E - P^2 / 2M) / sum w; z over the replicas for both.

Figure of merit: the largest |z|; tolerance: the normal quantile of a family-wise false-alarm
probability of 0.27 % (Bonferroni over 4, two-sided: 3.4).

Run as a script: ``python validation/rotational_relaxation.py [--quick]``.
"""
import math
import pathlib
import sys
import time

import numpy as np
import xarray as xr
from scipy import optimize, stats

import pmc
import pmc.validate
from pmc.validate import Verdict

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from _replicas import Replicas  # noqa: E402

NUMBER = 61
NAME = "rotational_relaxation"
FAMILY_ALARM = 0.0027
K = pmc.units.K
Z_ROT = 5.0


def parameters(quick):
    return dict(replicas=16 if quick else 64, markers=4000 if quick else 16_000,
                fit_steps=40, fit_fraction=0.1, efoldings=8.0, total_steps=160, seed=61)


def nitrogen():
    return pmc.Species("N2", 4.652e-26,
                       pmc.collisions.VSS(4.11e-10, 0.74, 273.0 * K, alpha=1.36), weight=1.0,
                       rotational_dof=2, relaxation=Z_ROT)


def run(quick, outdir):
    started = time.perf_counter()
    prm = parameters(quick)
    outdir = pathlib.Path(outdir)
    mix = pmc.Mixture([nitrogen()])
    density = 1e22  # [1/m^3]
    t_tr0, t_rot0 = 600.0 * K, 150.0 * K
    side = (prm["markers"] / density) ** (1.0 / 3.0)
    gas = Replicas(mix, prm["replicas"], side, prm["seed"], "nitrogen", density=density,
                   temperature=t_tr0, rotational_temperature=t_rot0)
    R = gas.count
    n_markers = np.bincount(gas.replica, minlength=R)
    W, _, _, P = gas.species_sums()
    tr0, rot0 = (t[:, 0] for t in gas.temperatures())
    # nu per molecule at each replica's initial T_tr: (N - 1) w <sigma g> / V
    sigma_g = np.array([mix.collision_frequency("N2", "N2", density, t) / density for t in tr0])
    nu0 = (n_markers - 1) * 1.0 * sigma_g / side ** 3
    exact_slope = (tr0 - rot0) * nu0 / Z_ROT
    tau_rot = Z_ROT / nu0.mean()
    dt = prm["fit_fraction"] * tau_rot / prm["fit_steps"]
    e0 = gas.energies()
    mtot = W[:, 0] * mix.masses[0]
    t_final = (e0 - 0.5 * np.sum(P[:, 0] ** 2, axis=1) / mtot) / (2.5 * W[:, 0])

    times, t_tr, t_rot, coll = [0.0], [tr0], [rot0], [np.zeros(R)]

    def record(t):
        a, b = gas.temperatures()
        times.append(t)
        t_tr.append(a[:, 0])
        t_rot.append(b[:, 0])
        coll.append(gas.collisions_per_molecule())
    for k in range(prm["fit_steps"]):
        gas.step(dt)
        record((k + 1) * dt)
    nfit = len(times)
    t_end = prm["efoldings"] * tau_rot * 3.0 / 5.0
    dt_rest = (t_end - times[-1]) / prm["total_steps"]
    for k in range(prm["total_steps"]):
        gas.step(dt_rest)
        record(times[-1] + dt_rest)
    times, t_tr, t_rot, coll = (np.array(a) for a in (times, t_tr, t_rot, coll))

    # 1. initial rate
    slopes = np.array([np.polyfit(times[:nfit], t_rot[:nfit, r], 2)[1] for r in range(R)])
    d = slopes - exact_slope
    z_initial = d.mean() / (d.std(ddof=1) / math.sqrt(R))
    # 2. exponential rate in collisions per molecule
    gap = t_tr - t_rot
    kappas = np.empty(R)
    for r in range(R):
        keep = gap[:, r] > 0.1 * gap[0, r]
        keep[np.argmin(keep):] = False  # up to the first time the gap falls below
        (kappas[r],), _ = optimize.curve_fit(
            lambda c, kap: gap[0, r] * np.exp(-kap * c), coll[keep, r], gap[keep, r],
            p0=[5.0 / (3.0 * Z_ROT)])
    kappa_exact = 5.0 / (3.0 * Z_ROT)
    z_kappa = (kappas.mean() - kappa_exact) / (kappas.std(ddof=1) / math.sqrt(R))
    # 3. equipartition
    end_tr = t_tr[-1] - t_final
    end_rot = t_rot[-1] - t_final
    z_tr = end_tr.mean() / (end_tr.std(ddof=1) / math.sqrt(R))
    z_rot = end_rot.mean() / (end_rot.std(ddof=1) / math.sqrt(R))
    z = np.array([z_initial, z_kappa, z_tr, z_rot])
    z_crit = float(stats.norm.isf(FAMILY_ALARM / (2.0 * z.size)))
    value = float(np.abs(z).max())
    energy_error = float(np.max(np.abs(gas.energies() - e0) / e0))
    passed = bool(value <= z_crit and energy_error < 1e-12)

    se = lambda a: a.std(axis=1, ddof=1) / math.sqrt(R)  # noqa: E731
    ds = xr.Dataset(
        {"translational_temperature": ("time", t_tr.mean(axis=1) / K, {"units": "K"}),
         "translational_temperature_stderr": ("time", se(t_tr) / K, {"units": "K"}),
         "rotational_temperature": ("time", t_rot.mean(axis=1) / K, {"units": "K"}),
         "rotational_temperature_stderr": ("time", se(t_rot) / K, {"units": "K"}),
         "collisions_per_molecule": ("time", coll.mean(axis=1), {"units": "1"}),
         "landau_teller_gap": ("time", (gap[0].mean() * np.exp(-kappa_exact * coll.mean(axis=1)))
                               / K, {"units": "K", "long_name": "(T_tr - T_rot)(0) "
                                                               "exp(-5 c / 3 Z)"}),
         "final_temperature": ((), t_final.mean() / K, {"units": "K"}),
         "kappa": ("replica", kappas, {"units": "1", "long_name": "fitted rate per collision"})},
        coords={"time": ("time", times, {"units": "s"}), "replica": np.arange(R)},
        attrs={"title": "pmc validation (61): rotational relaxation of nitrogen (LB, Z = 5)",
               "pmc_version": pmc.__version__, "markers": gas.markers.n})
    ds.to_netcdf(outdir / f"{NAME}.nc")
    figure(ds, outdir / f"{NAME}.png", tau_rot, kappa_exact, z)

    details = {"z_initial_rate": float(z_initial), "z_exponential_rate": float(z_kappa),
               "z_end_translational": float(z_tr), "z_end_rotational": float(z_rot),
               "initial_rate_ratio": float(slopes.mean() / exact_slope.mean()),
               "initial_rate_ratio_stderr": float(slopes.std(ddof=1) / math.sqrt(R)
                                                  / exact_slope.mean()),
               "kappa": [float(kappas.mean()), float(kappas.std(ddof=1) / math.sqrt(R)),
                         kappa_exact],
               "final_temperature_K": float(t_final.mean() / K),
               "energy_relative_error": energy_error,
               "relaxations_per_collision": gas.operator.stats["relaxations"]
               / max(2 * gas.operator.stats["events"], 1),
               "replicas": R, "markers": gas.markers.n,
               "seconds": round(time.perf_counter() - started, 1)}
    return Verdict(NAME, "max |z| of the initial rate and the exponential rate against "
                   "Landau-Teller with Z = 5 and of equipartition at the end", value, z_crit,
                   passed, details)


def figure(ds, path, tau_rot, kappa_exact, z):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(1, 2, figsize=(10, 4))
    t = ds.time.values / tau_rot
    a = ax[0]
    for name, label in (("translational_temperature", "T_tr"),
                        ("rotational_temperature", "T_rot")):
        a.errorbar(t, ds[name], 3 * ds[name + "_stderr"], fmt=".", ms=2, label=label)
    a.axhline(float(ds.final_temperature), color="gray", ls="--", lw=0.8, label="T_f (energy)")
    a.set_xlabel(r"$t / (Z \tau_c)$")
    a.set_ylabel("T [K]")
    a.set_title(f"N2, Z = {Z_ROT:g}: z initial {z[0]:.2f}, end {z[2]:.2f}, {z[3]:.2f}",
                fontsize=9)
    a.legend(fontsize=8)
    a = ax[1]
    c = ds.collisions_per_molecule.values
    gap = ds.translational_temperature - ds.rotational_temperature
    a.semilogy(c, gap, ".", ms=3, label="markers")
    a.semilogy(c, ds.landau_teller_gap, "k-", lw=0.8, label=r"$e^{-5c/3Z}$")
    a.set_ylim(max(float(gap.max()) * 1e-3, 0.1), None)
    a.set_xlabel("collisions per molecule")
    a.set_ylabel(r"$T_{tr} - T_{rot}$ [K]")
    a.set_title(f"Landau-Teller rate: z = {z[1]:.2f}", fontsize=9)
    a.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


if __name__ == "__main__":
    pmc.validate.script(run)
