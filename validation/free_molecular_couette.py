"""(50) Free-molecular Couette flow and heat transfer between diffuse plates (pmc.Diffuse).

Argon (m = 6.6335e-26 kg) between two parallel plates at x = 0 and x = L, fully diffuse
(Maxwell, accommodation 1), the lower at T_1 = 273 K moving with velocity U_1 = -U/2 along y,
the upper at T_2 = 373 K moving with U_2 = +U/2, U = 300 m/s. With no collisions (Kn -> infinity)
the stationary distribution is exact: the molecules moving up (v_x > 0) left the lower plate and
form the half of a Maxwellian (n_1, T_1, U_1), those moving down the half of a Maxwellian
(n_2, T_2, U_2); the density is uniform. No net flux, n_1 sqrt(T_1) = n_2 sqrt(T_2), and the mean
density n = (n_1 + n_2) / 2 give, with s_i = sqrt(k T_i / m), the one-way flux

    Gamma = n_1 s_1 / sqrt(2 pi) = 2 n s_1 s_2 / ((s_1 + s_2) sqrt(2 pi)),

and (a flux-weighted half-Maxwellian at T has <v_n> = s sqrt(pi / 2) and <m v^2 / 2> = 2 k T
+ m U^2 / 2 with its tangential drift):

* wall pressure, both plates: p_w = Gamma m sqrt(pi / 2) (s_1 + s_2);
* shear stress on the upper plate (along y; the lower one gets the opposite):
  tau = -Gamma m (U_2 - U_1);
* heat flux into the upper plate (its frame) q_2 = Gamma (2 k (T_1 - T_2) + m (U_2 - U_1)^2 / 2),
  into the lower q_1 = Gamma (2 k (T_2 - T_1) + m (U_2 - U_1)^2 / 2) (the viscous heating
  m Gamma (U_2 - U_1)^2 is shared between the plates);
* in the gas: n, u_y = (n_1 U_1 + n_2 U_2) / (2 n), P_xy = Gamma m (U_1 - U_2),
  k T_x = k T_z = (n_1 k T_1 + n_2 k T_2) / (2 n), k T_y = m (<v_y^2> - u_y^2) with
  <v_y^2> = (n_1 (s_1^2 + U_1^2) + n_2 (s_2^2 + U_2^2)) / (2 n), and the heat flux
  q_x = Gamma (2 k (T_1 - T_2) + m (U_1^2 - U_2^2) / 2) - u_y P_xy.

(The free-molecular Couette and heat-transfer results of e.g. G. A. Bird, Molecular Gas Dynamics
and the Direct Simulation of Gas Flows (1994), section 7.3 and S. A. Schaaf and P. L. Chambre,
Flow of Rarefied Gases (1961).) The markers start from that distribution (no transient), so
the run checks the stationarity of the walls' re-emission and the accounting of momentum and
energy at the walls.

Checks: the time averages of the run's averaging window (``average=``; standard errors by 20
batch means) of the three wall quantities on both plates and, in every collision cell, n, u_y,
T, P_xy and q_x, against the closed forms: z = (measured - exact) / stderr. Tolerance: the
Student t quantile (19 degrees of freedom, from the batch means) for a family-wise false-alarm
probability of 0.27 % over all the comparisons (Bonferroni).

Run as a script: ``python validation/free_molecular_couette.py [--quick]``.
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

NUMBER = 50
NAME = "free_molecular_couette"
FAMILY_ALARM = 0.0027
MASS = 39.948 * 1.66053906660e-27  # argon [kg]
KB = 1.380649e-23


def parameters(quick):
    return dict(n=15_000 if quick else 400_000, steps=2_000 if quick else 10_000,
                save_every=20 if quick else 50, cells=8 if quick else 20, length=1e-3,
                density=1e20, t1=273.0, t2=373.0, u=300.0, batches=20, seed=50)


def exact(prm):
    """The closed forms of the module docstring (SI; temperatures as k T [J])."""
    m, n = MASS, prm["density"]
    kt1, kt2 = KB * prm["t1"], KB * prm["t2"]
    s1, s2 = math.sqrt(kt1 / m), math.sqrt(kt2 / m)
    u1, u2 = -0.5 * prm["u"], 0.5 * prm["u"]
    gamma = 2.0 * n * s1 * s2 / ((s1 + s2) * math.sqrt(2.0 * math.pi))
    n1 = 2.0 * n * s2 / (s1 + s2)
    n2 = 2.0 * n * s1 / (s1 + s2)
    uy = (n1 * u1 + n2 * u2) / (2.0 * n)
    pxy = gamma * m * (u1 - u2)
    ktx = (n1 * kt1 + n2 * kt2) / (2.0 * n)
    vy2 = (n1 * (s1 ** 2 + u1 ** 2) + n2 * (s2 ** 2 + u2 ** 2)) / (2.0 * n)
    kty = m * (vy2 - uy ** 2)
    return {"gamma": gamma, "n1": n1, "n2": n2, "u1": u1, "u2": u2, "kt1": kt1, "kt2": kt2,
            "wall_pressure": gamma * m * math.sqrt(math.pi / 2.0) * (s1 + s2),
            "wall_shear_hi": -gamma * m * (u2 - u1),
            "wall_heat_lo": gamma * (2.0 * (kt2 - kt1) + 0.5 * m * (u2 - u1) ** 2),
            "wall_heat_hi": gamma * (2.0 * (kt1 - kt2) + 0.5 * m * (u2 - u1) ** 2),
            "number_density": n, "flow_velocity_y": uy, "pressure_xy": pxy,
            "translational_temperature": (2.0 * ktx + kty) / 3.0,
            "heat_flux_x": gamma * (2.0 * (kt1 - kt2) + 0.5 * m * (u1 ** 2 - u2 ** 2))
            - uy * pxy}


def initial_markers(prm, ex, rng):
    """Markers drawn from the exact stationary distribution: uniform in x, up-movers from the
    lower plate's half-Maxwellian, down-movers from the upper's."""
    n = prm["n"]
    up = rng.random(n) < ex["n1"] / (ex["n1"] + ex["n2"])
    s = np.where(up, math.sqrt(ex["kt1"] / MASS), math.sqrt(ex["kt2"] / MASS))
    v = s[:, None] * rng.standard_normal((n, 3))
    v[:, 0] = np.where(up, np.abs(v[:, 0]), -np.abs(v[:, 0]))
    v[:, 1] += np.where(up, ex["u1"], ex["u2"])
    weight = prm["density"] * prm["length"] / n  # molecules per m^2 of plate per marker
    return pmc.Markers(x=rng.uniform(0.0, prm["length"], (n, 1)), p=MASS * v,
                       w=np.full(n, weight))


def run(quick, outdir):
    started = time.perf_counter()
    prm = parameters(quick)
    outdir = pathlib.Path(outdir)
    rng = np.random.default_rng(prm["seed"])
    ex = exact(prm)
    H = pmc.Hamiltonian(pmc.bands.Parabolic(MASS), units="si")
    L = prm["length"]
    plates = pmc.Diffuse(0.0, L, temperature=(ex["kt1"], ex["kt2"]),
                         velocity=((0.0, ex["u1"], 0.0), (0.0, ex["u2"], 0.0)))
    # a molecule crosses a cell in about 10 steps
    dt = 0.1 * (L / prm["cells"]) / math.sqrt(ex["kt2"] / MASS)
    sim = pmc.Simulation(H, initial_markers(prm, ex, rng), dt=dt, boundary=plates,
                         cells=pmc.Cells(0.0, L, prm["cells"]), average=0.0,
                         average_batches=prm["batches"], seed=prm["seed"])
    ds = sim.run(prm["steps"] * dt, prm["save_every"] * dt, progress=False)

    def z(name, index, value):
        m = ds[f"{name}_mean"].values[index]
        e = ds[f"{name}_mean_stderr"].values[index]
        return (m - value) / e, m, e
    rows = {}
    for side, key in ((0, "lo"), (1, "hi")):
        rows[f"wall_pressure_{key}"] = z("wall_pressure", side, ex["wall_pressure"])
        sign = 1.0 if side == 1 else -1.0
        rows[f"wall_shear_y_{key}"] = z("wall_shear_stress", (side, 1), sign * ex["wall_shear_hi"])
        rows[f"wall_heat_{key}"] = z("wall_heat_flux", side, ex[f"wall_heat_{key}"])
    cell_checks = {"number_density": ("number_density", (), ex["number_density"]),
                   "flow_velocity_y": ("flow_velocity", (1,), ex["flow_velocity_y"]),
                   "translational_temperature": ("translational_temperature", (),
                                                 ex["translational_temperature"]),
                   "pressure_xy": ("pressure_tensor", (0, 1), ex["pressure_xy"]),
                   "heat_flux_x": ("heat_flux", (0,), ex["heat_flux_x"])}
    cell_z = {}
    for label, (name, index, value) in cell_checks.items():
        cell_z[label] = np.array([z(name, (c, *index), value)[0] for c in range(prm["cells"])])
    z_all = np.concatenate([np.array([r[0] for r in rows.values()]),
                            *[v for v in cell_z.values()]])
    ncomp = z_all.size
    z_crit = float(stats.t.isf(FAMILY_ALARM / (2.0 * ncomp), prm["batches"] - 1))
    value = float(np.abs(z_all).max())
    passed = bool(value <= z_crit)

    out = ds[[v for v in ds.data_vars if v.endswith("_mean") or v.endswith("_mean_stderr")]]
    out = out.assign_attrs({k: float(v) for k, v in ex.items()})
    out.attrs.update(title="pmc validation (50): free-molecular Couette flow and heat transfer",
                     markers=prm["n"], pmc_version=pmc.__version__)
    out.to_netcdf(outdir / f"{NAME}.nc")
    figure(out, ex, outdir / f"{NAME}.png")
    details = {k: {"z": float(r[0]), "measured": float(r[1]), "stderr": float(r[2])}
               for k, r in rows.items()}
    details.update({"exact_" + k: float(ex[k]) for k in
                    ("wall_pressure", "wall_shear_hi", "wall_heat_lo", "wall_heat_hi")})
    details.update({f"z_max_{k}": float(np.abs(v).max()) for k, v in cell_z.items()})
    details.update(comparisons=int(ncomp), markers=prm["n"], steps=prm["steps"],
                   seconds=round(time.perf_counter() - started, 1))
    return Verdict(NAME, "max |z| of the wall pressure, shear stress and heat flux on both "
                   "plates and the cell n, u_y, T, P_xy, q_x against the free-molecular closed "
                   "forms", value, z_crit, passed, details)


def figure(ds, ex, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(1, 3, figsize=(12, 3.8))
    x = ds["cell_x"].values * 1e3
    panels = ((ds["flow_velocity_mean"].sel(direction="y"),
               ds["flow_velocity_mean_stderr"].sel(direction="y"), ex["flow_velocity_y"],
               "u_y [m/s]"),
              (ds["pressure_tensor_mean"].sel(direction="x", direction_2="y"),
               ds["pressure_tensor_mean_stderr"].sel(direction="x", direction_2="y"),
               ex["pressure_xy"], "P_xy [Pa]"),
              (ds["heat_flux_mean"].sel(direction="x"),
               ds["heat_flux_mean_stderr"].sel(direction="x"), ex["heat_flux_x"],
               "q_x [W/m^2]"))
    for a, (m, e, value, label) in zip(ax, panels):
        a.errorbar(x, m, 3 * e, fmt="o", ms=4, label="pmc (3 stderr)")
        a.axhline(value, color="k", lw=1, label="free-molecular exact")
        a.set_xlabel("x [mm]")
        a.set_ylabel(label)
        a.legend(fontsize=8)
    fig.suptitle("free-molecular Couette flow and heat transfer, diffuse plates "
                 f"(wall shear {float(ds['wall_shear_stress_mean'][1, 1]):.4g} Pa, exact "
                 f"{ex['wall_shear_hi']:.4g})", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


if __name__ == "__main__":
    pmc.validate.script(run)
