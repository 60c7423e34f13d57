"""Shared set-up of the near-continuum plate flows of hard-sphere argon (validation 52 Fourier
flow, 53 Couette flow): the gas constants, the Chapman-Enskog transport coefficients, the
simulation between diffuse plates, the gas value of a flux as the mean over the bulk cells with
its batch-means error, the z-scores of the three comparisons (gas, both plates), the figure and
what the cases write.
"""
import math

import numpy as np
from scipy import stats

import pmc
from pmc.sampling import MOMENTS

MASS = 6.6335e-26  # argon [kg]
DIAMETER = 3.66e-10  # hard-sphere diameter [m]
KB = 1.380649e-23
F_KAPPA = 1.02513  # Chapman-Enskog Sonine corrections, hard spheres (Chapman & Cowling 10.21)
F_MU = 1.01600
D1 = 2.4001  # Sone's temperature-jump coefficient, hard spheres, diffuse walls
K0 = 1.2540  # slip coefficient, hard spheres, diffuse walls (Ohwada, Sone & Aoki 1989)
AGA = 16.0 / (45.0 * math.pi)  # cell-size error coefficient of kappa and mu
MODEL_C = 10.0  # model allowance C Kn^2 of the first-order slip/jump theory
FAMILY_ALARM = 0.0027


def kappa_ce(T):
    """Chapman-Enskog hard-sphere conductivity [W/(m K)] at temperature T [K]."""
    return F_KAPPA * 75.0 / 64.0 * KB / DIAMETER ** 2 * np.sqrt(KB * T / (math.pi * MASS))


def mu_ce(T):
    """Chapman-Enskog hard-sphere viscosity [Pa s] at T [K]."""
    return F_MU * 5.0 / 16.0 / DIAMETER ** 2 * np.sqrt(MASS * KB * T / math.pi)


def mean_free_path(n0):
    """Hard-sphere mean free path [m] at number density n0 [1/m^3]."""
    return 1.0 / (math.sqrt(2.0) * math.pi * DIAMETER ** 2 * n0)


def dsmc_coefficient(coefficient, hdt, T, p, dx, dt):
    """The transport ``coefficient(T)`` (mu_ce or kappa_ce) that DSMC with cells of dx [m] and a
    step dt [s] gives at T [K] and pressure p [Pa]: times 1 + AGA (dx / lambda)^2 + hdt
    (c0 dt / lambda)^2, lambda the mean free path there and c0 = sqrt(2 k T / m): the cell-size
    and time-step errors (F. J. Alexander, A. L. Garcia & B. J. Alder, Phys. Fluids 10, 1540
    (1998); N. G. Hadjiconstantinou, Phys. Fluids 12, 2634 (2000))."""
    lam = KB * T / (math.sqrt(2.0) * math.pi * DIAMETER ** 2 * p)
    c0 = math.sqrt(2.0 * KB * T / MASS)
    return coefficient(T) * (1.0 + AGA * (dx / lam) ** 2 + hdt * (c0 * dt / lam) ** 2)


def plate_rows(name, gas, wall, wall_stderr):
    """The three comparisons {gas_<name>, wall_<name>_lo, wall_<name>_hi: (value, stderr)}: the
    gas's (value, stderr), then the plates' (lo, hi) means with the upper one's sign turned (so
    that all three are the flux from the upper plate through the gas to the lower one)."""
    return {f"gas_{name}": gas,
            f"wall_{name}_lo": (float(wall[0]), float(wall_stderr[0])),
            f"wall_{name}_hi": (-float(wall[1]), float(wall_stderr[1]))}


def window_means(ds):
    """The time averages of a run (``*_mean`` and ``*_mean_stderr``), what the cases write."""
    return ds[[v for v in ds.data_vars if v.endswith("_mean") or v.endswith("_mean_stderr")]]


def row_details(rows, z, **extra):
    """The verdict's details: each row's measured value, stderr and z, then ``extra``."""
    out = {k: {"measured": m, "stderr": e, "z": float(z[k])} for k, (m, e) in rows.items()}
    out.update(extra)
    return out


def geometry(prm, t_hot):
    """(L, cells, dx, dt) of a case: L = l0 / Kn, ``cells_per_l0`` cells per l0 and
    dt = ``dt_l0`` l0 / c0 with c0 = sqrt(2 k t_hot / m)."""
    l0 = mean_free_path(prm["n0"])
    L = l0 / prm["kn"]
    ncell = int(round(prm["cells_per_l0"] / prm["kn"]))
    return L, ncell, L / ncell, prm["dt_l0"] * l0 / math.sqrt(2.0 * KB * t_hot / MASS)


def simulate(prm, markers, plates, L, ncell, dt):
    """Run hard-sphere argon between ``plates`` for ``transient + window`` steps, the
    time averages over the window; returns (simulation, dataset)."""
    H = pmc.Hamiltonian(pmc.bands.Parabolic(MASS), units="si")
    sim = pmc.Simulation(H, markers, dt=dt, boundary=plates,
                         collisions=[pmc.collisions.Binary(pmc.collisions.HardSphere(DIAMETER))],
                         cells=pmc.Cells(0.0, L, ncell), average=prm["transient"] * dt,
                         average_batches=prm["batches"], seed=prm["seed"])
    steps = prm["transient"] + prm["window"]
    ds = sim.run(steps * dt, prm["save_every"] * dt, progress=False)
    return sim, ds


def batch_error(values):
    """Standard error of the mean of per-batch values (axis 0)."""
    values = np.asarray(values, dtype=float)
    return np.std(values, axis=0, ddof=1) / math.sqrt(values.shape[0])


def gas_flux(sim, ds, flux):
    """(value, stderr) of the mean over the cells of ``flux(moments)`` (a function
    of a dataset of cell moments: the window's means, or each batch's from
    ``sim.window_batches()``; the cells' errors are correlated, so the error is that of the
    per-batch cell means)."""
    mean = ds.rename({f"{k}_mean": k for k in MOMENTS})
    per = sim.window_batches()
    value = float(np.mean(flux(mean)))
    return value, float(batch_error(np.mean(flux(per), axis=-1)))


def verdict(rows, expect, model):
    """z = (measured - expected) / sqrt(stderr^2 + model^2) per row; tolerance the normal
    quantile for the family-wise false-alarm probability FAMILY_ALARM over the rows. Returns
    (z dict, largest |z|, tolerance, passed)."""
    z = {k: (m - expect[k]) / math.hypot(e, model) for k, (m, e) in rows.items()}
    z_crit = float(stats.norm.isf(FAMILY_ALARM / (2.0 * len(z))))
    value = float(max(abs(v) for v in z.values()))
    return z, value, z_crit, bool(value <= z_crit)


def figure(profile, rows, reference, ylabel, title, path):
    """Two panels: ``profile(ax)`` draws the cell profile; the rows (gas, plates) with 3
    stderr against ``reference``."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(1, 2, figsize=(10, 3.8))
    profile(ax[0])
    ax[0].legend(fontsize=8)
    names = list(rows)
    ax[1].errorbar(range(len(names)), [rows[k][0] for k in names],
                   [3 * rows[k][1] for k in names], fmt="o", label="pmc (3 stderr)")
    ax[1].axhline(reference, color="k", lw=1, label="theory")
    ax[1].set_xticks(range(len(names)), names, fontsize=7)
    ax[1].set_ylabel(ylabel)
    ax[1].legend(fontsize=8)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
