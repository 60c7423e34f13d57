"""(52) Fourier flow near the continuum limit: hard-sphere argon between diffuse plates.

Hard-sphere argon (m = 6.6335e-26 kg, d = 3.66e-10 m) at rest between two fully diffuse plates
at x = 0 (T_1) and x = L (T_2 > T_1), with Kn = l_0 / L small, l_0 = 1 / (sqrt(2) pi d^2 n_0)
the mean free path at the mean density n_0. Kinetic theory gives, for Kn -> 0:

* the bulk obeys Fourier's law q = -kappa(T) dT/dx with the Chapman-Enskog hard-sphere
  conductivity kappa = f_kappa (75 / 64) (k / d^2) sqrt(k T / (pi m)), f_kappa = 1.02513 the
  Sonine-polynomial correction of the first approximation (Chapman & Cowling, The Mathematical
  Theory of Non-Uniform Gases, 3rd ed. (1970), section 10.21; G. A. Bird, Molecular Gas Dynamics
  and the Direct Simulation of Gas Flows (1994), section 3.6; the converged value is 1.025218, a
  difference of 1e-4 that is far below the tolerance). In steady plane flow with no mass flux the
  heat flux q_x is the same at every x (energy conservation; it holds inside the Knudsen layers
  too), and kappa ~ sqrt(T) is handled exactly by Kirchhoff's transform:
  F(T) = integral kappa dT is linear in x.
* at the walls the gas temperature jumps: T_gas - T_w = zeta dT/dn (n the normal into the gas),
  zeta = d_1 (sqrt(pi) / 2) l(T_w), with d_1 = 2.4001 for hard spheres and diffuse reflection
  (Y. Sone, T. Ohwada & K. Aoki, Phys. Fluids A 1, 363 (1989); Y. Sone, Kinetic Theory and Fluid
  Dynamics (2002), section 3.1.5 and table 3.1), l(T) = k T / (sqrt(2) pi d^2 p) the local mean
  free path at the gas pressure p; this is the O(Kn) correction (2 zeta / L ~ 4.3 Kn).
* the pressure p follows from the number of molecules: integral n dx = n_0 L with n = p / (k T).

So the heat flux from the hot to the cold plate, Q = -q_x > 0, solves
F(T_2 - zeta_2 Q / kappa_2) - F(T_1 + zeta_1 Q / kappa_1) = Q L (solved with scipy's brentq,
the pressure by fixed-point iteration). Two known DSMC discretisation errors are put into kappa
(not fitted): the collision-cell size, kappa (1 + 16/(45 pi) (dx / l)^2) (F. J. Alexander,
A. L. Garcia & B. J. Alder, Phys. Fluids 10, 1540 (1998)), and the time step,
kappa (1 + 32/(225 pi) (c_0 dt / l)^2), c_0 = sqrt(2 k T / m) (N. G. Hadjiconstantinou,
Phys. Fluids 12, 2634 (2000)); both are a fraction of a percent here.

Model error: in the linearised theory the O(Kn^2) terms of plane Fourier flow vanish (the
second-order jump terms multiply the wall curvature and d^2 T / dn^2, both zero at leading order
(Sone 2002, section 3.7)), so what remains is nonlinear: Burnett-order terms of relative size
~ Kn^2 (Delta T / T)^2 and the second-order nonlinear jump terms ~ Kn^2 Delta T / T. The check
allows a model error of C Kn^2 Q with C = 10 (2.5 % at Kn = 0.05, 0.6 % at 0.025): a generous
allowance for those terms, not a proof.

Sampling: the cell moments are binned at the middle of each free flight (pmc.sampling), so
the sampled heat flux is the flights' time average, the energy flux through a plane, and the gas
value is compared with Q itself, over all cells (a flight that meets a plate before its middle
is binned at its middle on the way back). The kinetic flux the cells sample leaves out the collisions' transfer across a cell, the
16/(45 pi) (dx / l)^2 part of kappa (0.45 % here), which is within the model allowance.

Checks: Q measured as the mean over the cells of the time-averaged gas heat flux -q_x
(standard error by batch means of the per-batch cell average, Simulation.window_batches), and
the wall heat fluxes on both plates (their own batch-means errors). z = (measured - exact) / sqrt(stderr^2 + model^2); tolerance the
normal quantile for a family-wise false-alarm probability of 0.27 % over the three comparisons.
Reported (not checked): the temperature jumps found by extrapolating the bulk profile
(F(T) fitted linearly in the middle half of the gap) to the walls, against zeta Q / kappa.

Run as a script: ``python validation/fourier_flow.py [--quick]``.
"""
import math
import pathlib
import sys
import time

import numpy as np
import xarray as xr
from scipy import integrate, optimize

import pmc
import pmc.validate
from pmc.validate import Verdict

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from _plates import (D1, DIAMETER, KB, MASS, MODEL_C, batch_error,  # noqa: E402
                     dsmc_coefficient, figure, gas_flux, geometry, kappa_ce, mean_free_path,
                     plate_rows, row_details, simulate, verdict, window_means)

NUMBER = 52
NAME = "fourier_flow"
HDT = 32.0 / (225.0 * math.pi)  # time-step error coefficient of kappa


def parameters(quick):
    return dict(kn=0.05 if quick else 0.03, t1=240.0, t2=360.0, per_cell=30 if quick else 120,
                cells_per_l0=5, dt_l0=0.2, transient=1500 if quick else 3000,
                window=10_000 if quick else 60_000, save_every=100 if quick else 300,
                batches=20, seed=52, n0=1e21)


def theory(prm, dx, dt):
    """Heat flux Q [W/m^2] (hot to cold), pressure p [Pa], wall jumps and the bulk profile
    T(x) [K] of Navier-Stokes-Fourier with Sone's first-order jump, with the DSMC cell-size and
    time-step corrections of kappa for cells of dx [m] and a step dt [s]."""
    n0, kn = prm["n0"], prm["kn"]
    l0 = mean_free_path(n0)
    L = l0 / kn
    T1, T2 = prm["t1"], prm["t2"]

    def mfp(T, p):
        return KB * T / (math.sqrt(2.0) * math.pi * DIAMETER ** 2 * p)

    def kappa(T, p):
        return dsmc_coefficient(kappa_ce, HDT, T, p, dx, dt)

    def F(a, b, p):
        return integrate.quad(kappa, a, b, args=(p,), epsabs=0.0, epsrel=1e-12)[0]

    p = n0 * KB * 0.5 * (T1 + T2)
    for _ in range(30):  # fixed point for the pressure
        z1 = D1 * 0.5 * math.sqrt(math.pi) * mfp(T1, p) / kappa(T1, p)
        z2 = D1 * 0.5 * math.sqrt(math.pi) * mfp(T2, p) / kappa(T2, p)

        def resid(Q):
            return F(T1 + z1 * Q, T2 - z2 * Q, p) - Q * L
        Q = optimize.brentq(resid, 0.0, F(T1, T2, p) / L, xtol=1e-14, rtol=1e-13)
        Ta, Tb = T1 + z1 * Q, T2 - z2 * Q
        # T(x) from F(T(x)) = Q x: tabulate F on a fine T grid and invert
        tg = np.linspace(Ta, Tb, 2001)
        fg = np.concatenate([[0.0], np.cumsum([F(a, b, p) for a, b in zip(tg[:-1], tg[1:])])])
        xg = fg / Q
        p_new = n0 * KB * L / np.trapezoid(1.0 / tg, xg)
        if abs(p_new - p) < 1e-12 * p:
            break
        p = p_new
    return dict(Q=Q, p=p, L=L, l0=l0, jump_lo=Ta - T1, jump_hi=T2 - Tb, x=xg, T=tg,
                relative_jump_effect=2.0 * D1 * 0.5 * math.sqrt(math.pi) * kn)


def initial_markers(prm, th, weight, rng):
    """Markers at rest with the theory's density n ~ 1/T(x) and local Maxwellians."""
    x, T = th["x"], th["T"]
    cdf = np.concatenate([[0.0], np.cumsum(0.5 * (1.0 / T[1:] + 1.0 / T[:-1]) * np.diff(x))])
    cdf /= cdf[-1]
    n = int(round(prm["n0"] * th["L"] / weight))
    xs = np.interp(rng.random(n), cdf, x)
    s = np.sqrt(KB * np.interp(xs, x, T) / MASS)
    v = s[:, None] * rng.standard_normal((n, 3))
    return pmc.Markers(x=xs[:, None], p=MASS * v, w=np.full(n, weight))


def bulk_jumps(x, T, L, t1, t2):
    """Jumps (lo, hi) [K] of the bulk profile T(x) (F ~ T^1.5 fitted linearly in x over the
    middle half of the gap, extrapolated to the walls at t1, t2)."""
    mid = (x > 0.25 * L) & (x < 0.75 * L)
    a, b = np.polyfit(x[mid], T[..., mid].T ** 1.5, 1)
    return b ** (2.0 / 3.0) - t1, t2 - (a * L + b) ** (2.0 / 3.0)


def run(quick, outdir):
    started = time.perf_counter()
    prm = parameters(quick)
    outdir = pathlib.Path(outdir)
    rng = np.random.default_rng(prm["seed"])
    L, ncell, dx, dt = geometry(prm, prm["t2"])
    th = theory(prm, dx, dt)
    weight = prm["n0"] * dx / prm["per_cell"]
    markers = initial_markers(prm, th, weight, rng)
    plates = pmc.Diffuse(0.0, L, temperature=(KB * prm["t1"], KB * prm["t2"]))
    sim, ds = simulate(prm, markers, plates, L, ncell, dt)

    Q = th["Q"]
    model = MODEL_C * prm["kn"] ** 2 * Q
    xc = ds["cell_x"].values
    gas = gas_flux(sim, ds, lambda m: -m["heat_flux"].values[..., 0])
    # heat into the cold plate, out of the hot plate
    rows = plate_rows("heat_flux", gas, ds["wall_heat_flux_mean"].values,
                      ds["wall_heat_flux_mean_stderr"].values)
    z, value, z_crit, passed = verdict(rows, dict.fromkeys(rows, Q), model)

    # temperature jumps from the bulk profile, errors by batch means of the per-batch fits
    Tc = ds["translational_temperature_mean"].values / KB
    jump_lo, jump_hi = bulk_jumps(xc, Tc, L, prm["t1"], prm["t2"])
    per = sim.window_batches()["translational_temperature"].values / KB
    per_lo, per_hi = bulk_jumps(xc, per, L, prm["t1"], prm["t2"])
    jump_lo_err, jump_hi_err = float(batch_error(per_lo)), float(batch_error(per_hi))

    out = window_means(ds).assign(theory_temperature=xr.DataArray(th["T"], dims="theory_x",
                                                     coords={"theory_x": th["x"]}))
    out.attrs.update(title="pmc validation (52): Fourier flow near the continuum limit",
                     heat_flux_theory=Q, model_error=model, knudsen=prm["kn"],
                     markers=markers.n, pmc_version=pmc.__version__)
    out.to_netcdf(outdir / f"{NAME}.nc")
    Te = ds["translational_temperature_mean_stderr"].values / KB

    def profile(ax):
        ax.errorbar(xc / L, Tc, 3 * Te, fmt="o", ms=3, label="pmc (3 stderr)")
        ax.plot(th["x"] / L, th["T"], "k-", lw=1, label="Fourier + Sone jump")
        ax.plot([0, 1], [prm["t1"], prm["t2"]], "k:", lw=1, label="walls")
        ax.set_xlabel("x / L")
        ax.set_ylabel("T [K]")
    figure(profile, rows, Q, "heat flux, hot to cold [W/m^2]",
           f"Fourier flow, hard-sphere argon, Kn = {prm['kn']}", outdir / f"{NAME}.png")
    details = row_details(
        rows, z, heat_flux_theory=Q, model_error=model, knudsen=prm["kn"],
        heat_flux_no_jump=float(integrate.quad(kappa_ce, prm["t1"], prm["t2"])[0] / L),
        pressure_theory=th["p"], jump_lo_theory=th["jump_lo"], jump_hi_theory=th["jump_hi"],
        jump_lo_bulk_fit=float(jump_lo), jump_lo_bulk_fit_stderr=jump_lo_err,
        jump_hi_bulk_fit=float(jump_hi), jump_hi_bulk_fit_stderr=jump_hi_err, cells=ncell,
        markers=markers.n, steps=prm["transient"] + prm["window"],
        seconds=round(time.perf_counter() - started, 1))
    return Verdict(NAME, "max |z| of the heat flux (gas, both plates) against Chapman-Enskog "
                   "hard-sphere conduction with Sone's temperature jump (stderr and a "
                   f"{MODEL_C:g} Kn^2 model allowance)", value, z_crit, passed, details)


if __name__ == "__main__":
    pmc.validate.script(run)
