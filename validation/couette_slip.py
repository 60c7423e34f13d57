"""(53) Couette flow near the continuum limit: hard-sphere argon between moving diffuse plates.

Hard-sphere argon (m = 6.6335e-26 kg, d = 3.66e-10 m) between two fully diffuse plates at
x = 0 and x = L, both at T_w = 273 K, the lower moving with -U/2 along y, the upper with +U/2,
Kn = l_0 / L small, l_0 = 1 / (sqrt(2) pi d^2 n_0) the mean free path at the mean density n_0.
Kinetic theory gives, for Kn -> 0:

* Newton's law P_xy = -mu(T) du_y/dx with the Chapman-Enskog hard-sphere viscosity
  mu = f_mu (5 / 16) (1 / d^2) sqrt(m k T / pi), f_mu = 1.01600 the Sonine-polynomial correction
  of the first approximation (Chapman & Cowling, The Mathematical Theory of Non-Uniform Gases,
  3rd ed. (1970), section 10.21; G. A. Bird, Molecular Gas Dynamics and the Direct Simulation
  of Gas Flows (1994), section 3.6; converged 1.016034). The shear stress tau is the same at
  every x (momentum conservation, inside the Knudsen layers too).
* the velocity slip at the walls: u_gas - u_w = zeta_u du/dn, zeta_u = k_0 (sqrt(pi) / 2) l,
  k_0 = 1.2540 for hard spheres and diffuse reflection (T. Ohwada, Y. Sone & K. Aoki, Phys.
  Fluids A 1, 2042 (1989); Y. Sone, Kinetic Theory and Fluid Dynamics (2002), table 3.1), so
  to first order in Kn: tau = U / (integral dx / mu + 2 zeta_u / mu_w).
* viscous heating makes the gas warmer inside (T rises by tau^2 x (L - x) / (2 kappa mu) plus
  the temperature jump d_1 (sqrt(pi) / 2) l q_w / kappa at the walls, q_w = tau U_gas / 2,
  d_1 = 2.4001 (Sone, Ohwada & Aoki 1989)), which enters through mu(T) in the integral (a few
  tenths of a percent here).

Two DSMC discretisation errors are put into mu (not fitted): the collision-cell size,
mu (1 + 16/(45 pi) (dx / l)^2) (F. J. Alexander, A. L. Garcia & B. J. Alder, Phys. Fluids 10,
1540 (1998)), and the time step, mu (1 + 16/(75 pi) (c_0 dt / l)^2), c_0 = sqrt(2 k T / m)
(N. G. Hadjiconstantinou, Phys. Fluids 12, 2634 (2000)).

Sampling: the cell moments are binned at the middle of each free flight (pmc.sampling), so
the sampled P_xy is the flights' time average, the momentum flux through a plane, and the gas
value is compared with tau itself, over all cells (as in validation 52).

Model error: the O(Kn^2) terms of plane Couette flow in the linearised theory vanish (Sone
2002, section 3.7: the second-order slip terms multiply the curvature and d^2 u / dn^2); the
remaining nonlinear terms are of relative size ~ Kn^2 (U / c_0)^2; the check allows C Kn^2 tau
with C = 10, a generous allowance, not a proof.

Checks: tau from the gas (the mean of -P_xy over the cells, batch-means error of the
per-batch cell mean, Simulation.window_batches)
and from the wall shear stress on both plates (batch means); z = (measured - exact) /
sqrt(stderr^2 + model^2); tolerance the normal quantile for a family-wise false-alarm
probability of 0.27 % over the three comparisons. Reported: the slip found by extrapolating a
straight-line fit of u_y over the middle half of the gap to the walls, against the theory.

Run as a script: ``python validation/couette_slip.py [--quick]``.
"""
import math
import pathlib
import sys
import time

import numpy as np
from scipy import integrate

import pmc
import pmc.validate
from pmc.validate import Verdict

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from _plates import (D1, K0, KB, MASS, MODEL_C, batch_error, dsmc_coefficient,  # noqa: E402
                     figure, gas_flux, geometry, kappa_ce, mean_free_path, mu_ce, plate_rows,
                     row_details, simulate, verdict, window_means)

NUMBER = 53
NAME = "couette_slip"
HDT_MU = 16.0 / (75.0 * math.pi)  # time-step error coefficient of mu


def parameters(quick):
    return dict(kn=0.05 if quick else 0.03, tw=273.0, u=200.0, per_cell=30 if quick else 120,
                cells_per_l0=5, dt_l0=0.2, transient=1500 if quick else 3000,
                window=8_000 if quick else 40_000, save_every=100 if quick else 200,
                batches=20, seed=53, n0=1e21)


def theory(prm, dx, dt):
    """Shear stress tau [Pa], wall slip [m/s] and the viscous heating at the centre [K] of
    Navier-Stokes with first-order slip and jump, with the DSMC cell-size and time-step
    corrections of mu for cells of dx [m] and a step dt [s]."""
    n0, kn, Tw, U = prm["n0"], prm["kn"], prm["tw"], prm["u"]
    l0 = mean_free_path(n0)
    L = l0 / kn
    p = n0 * KB * Tw

    def mu(T):
        return dsmc_coefficient(mu_ce, HDT_MU, T, p, dx, dt)

    lw = l0
    zeta_u = K0 * 0.5 * math.sqrt(math.pi) * lw
    zeta_t = D1 * 0.5 * math.sqrt(math.pi) * lw
    kw = kappa_ce(Tw)
    tau = mu(Tw) * U / (L + 2.0 * zeta_u)
    for _ in range(5):  # viscous heating through mu(T)
        ugas = U - 2.0 * zeta_u * tau / mu(Tw)
        jump = zeta_t * 0.5 * tau * ugas / kw

        def inv_mu(x):
            return 1.0 / mu(Tw + jump + tau ** 2 * x * (L - x) / (2.0 * kw * mu(Tw)))
        tau = U / (integrate.quad(inv_mu, 0.0, L, epsrel=1e-12)[0] + 2.0 * zeta_u / mu(Tw))
    slip = zeta_u * tau / mu(Tw)
    return dict(tau=tau, slip=slip, L=L, l0=l0, p=p, heating=tau ** 2 * L ** 2
                / (8.0 * kw * mu(Tw)) + jump, tau_no_slip=mu_ce(Tw) * U / L)


def run(quick, outdir):
    started = time.perf_counter()
    prm = parameters(quick)
    outdir = pathlib.Path(outdir)
    rng = np.random.default_rng(prm["seed"])
    L, ncell, dx, dt = geometry(prm, prm["tw"])
    kt = KB * prm["tw"]
    th = theory(prm, dx, dt)
    weight = prm["n0"] * dx / prm["per_cell"]
    n = int(round(prm["n0"] * L / weight))
    x = rng.uniform(0.0, L, n)
    v = math.sqrt(kt / MASS) * rng.standard_normal((n, 3))
    ua = -0.5 * prm["u"] + th["slip"]
    v[:, 1] += ua + (x / L) * (-2.0 * ua)  # the linear profile with slip
    markers = pmc.Markers(x=x[:, None], p=MASS * v, w=np.full(n, weight))
    U = prm["u"]
    plates = pmc.Diffuse(0.0, L, temperature=kt,
                         velocity=((0.0, -0.5 * U, 0.0), (0.0, 0.5 * U, 0.0)))
    sim, ds = simulate(prm, markers, plates, L, ncell, dt)

    tau = th["tau"]
    model = MODEL_C * prm["kn"] ** 2 * tau
    xc = ds["cell_x"].values
    gas = gas_flux(sim, ds, lambda m: -m["pressure_tensor"].values[..., 0, 1])
    # the gas drags the lower plate along +y, the upper plate drags the gas
    rows = plate_rows("shear", gas, ds["wall_shear_stress_mean"].values[:, 1],
                      ds["wall_shear_stress_mean_stderr"].values[:, 1])
    z, value, z_crit, passed = verdict(rows, dict.fromkeys(rows, tau), model)

    # slips of the bulk profile (line over the middle half), errors from the per-batch fits
    uy = ds["flow_velocity_mean"].values[:, 1]
    ue = ds["flow_velocity_mean_stderr"].values[:, 1]
    mid = (xc > 0.25 * L) & (xc < 0.75 * L)

    def slips(u):
        a, b = np.polyfit(xc[mid], u[..., mid].T, 1)
        return b + 0.5 * U, 0.5 * U - (a * L + b)
    slip_lo, slip_hi = slips(uy)
    per_lo, per_hi = slips(sim.window_batches()["flow_velocity"].values[..., 1])
    slip_lo_err, slip_hi_err = float(batch_error(per_lo)), float(batch_error(per_hi))

    out = window_means(ds)
    out.attrs.update(title="pmc validation (53): Couette flow near the continuum limit",
                     shear_theory=tau, model_error=model, knudsen=prm["kn"], markers=n,
                     pmc_version=pmc.__version__)
    out.to_netcdf(outdir / f"{NAME}.nc")

    def profile(ax):
        ax.errorbar(xc / L, uy, 3 * ue, fmt="o", ms=3, label="pmc (3 stderr)")
        ax.plot([0, 1], [ua, -ua], "k-", lw=1, label="Newton + slip")
        ax.plot([0, 1], [-0.5 * U, 0.5 * U], "k:", lw=1, label="no slip")
        ax.set_xlabel("x / L")
        ax.set_ylabel("u_y [m/s]")
    figure(profile, rows, tau, "shear stress [Pa]",
           f"Couette flow, hard-sphere argon, Kn = {prm['kn']}", outdir / f"{NAME}.png")
    details = row_details(rows, z, shear_theory=tau, model_error=model, knudsen=prm["kn"],
                          shear_no_slip=th["tau_no_slip"], centre_heating_K=th["heating"],
                          slip_theory=th["slip"], slip_lo_bulk_fit=float(slip_lo),
                          slip_lo_bulk_fit_stderr=slip_lo_err, slip_hi_bulk_fit=float(slip_hi),
                          slip_hi_bulk_fit_stderr=slip_hi_err, cells=ncell, markers=n,
                          steps=prm["transient"] + prm["window"],
                          seconds=round(time.perf_counter() - started, 1))
    return Verdict(NAME, "max |z| of the shear stress (gas, both plates) against Chapman-Enskog "
                   "hard-sphere viscosity with the Ohwada-Sone-Aoki slip (stderr and a "
                   f"{MODEL_C:g} Kn^2 model allowance)", value, z_crit, passed, details)


if __name__ == "__main__":
    pmc.validate.script(run)
