"""What the bulk drift-velocity cases share (20 si_velocity_field, 21 gaas_velocity_field,
22 si_77k): the steady state at one field, the numbers taken from it, Canali et al.'s fit, the
crystal turned to put a direction on x, and the pieces of their datasets and figures. Not a case
(the leading underscore keeps it out of ``pmc validate``)."""
import numpy as np
import xarray as xr

import pmc
from pmc.averages import steady_state
from pmc.units import e, hbar


def canali(field_v_per_cm, T=300.0):
    """Canali et al. (1975) drift velocity [cm/s] of electrons in Si at ``field_v_per_cm``
    [V/cm], T [K]: v_m (E/E_c) / (1 + (E/E_c)^beta)^(1/beta), v_m = 1.53e9 T^-0.87 cm/s,
    E_c = 1.01 T^1.55 V/cm, beta = 2.57e-2 T^0.66 (C. Canali, G. Majni, R. Minder and
    G. Ottaviani, IEEE Trans. Electron Devices 22, 1045 (1975))."""
    vm = 1.53e9 * T ** -0.87
    ec = 1.01 * T ** 1.55
    beta = 2.57e-2 * T ** 0.66
    x = np.asarray(field_v_per_cm, dtype=float) / ec
    return vm * x / (1 + x ** beta) ** (1 / beta)


def rotated(material, direction):
    """The material with its crystal turned so that ``direction`` ("100" or "111") is x."""
    if direction == "100":
        return material
    a = np.array([1.0, 1.0, 1.0]) / np.sqrt(3.0)
    # the rotation taking a to x (Rodrigues' formula about a x x)
    x = np.array([1.0, 0.0, 0.0])
    v = np.cross(a, x)
    c = a @ x
    vx = np.array([[0, -v[2], v[1]], [v[2], 0, -v[0]], [-v[1], v[0], 0]])
    R = np.eye(3) + vx + vx @ vx / (1 + c)
    band = pmc.bands.MultiValley([
        pmc.bands.Valley(v.name, v.masses, energy=v.energy, alpha=v.alpha,
                         degeneracy=v.degeneracy, group=v.group,
                         axis=tuple(R @ np.array(v.axis))) for v in material.band.valleys])
    return material.replace(band=band)


def drift(material, field_v_per_m, c, seed):
    """Steady state at one field [V/m] along x: a :func:`pmc.averages.steady_state` dataset
    (``c``: markers ``n``, ``dt``, ``transient``, ``window``, ``save_every`` [s]; 10 batches)."""
    H = pmc.Hamiltonian(material.band, pmc.potentials.UniformField(e * field_v_per_m), hbar=hbar)
    sim = pmc.Simulation(H, pmc.sample(material.equilibrium(), c["n"], seed=seed), dt=c["dt"],
                         collisions=material.collisions(), cells=pmc.Cells((-1.0,), (1.0,), (1,)),
                         seed=seed)
    ds = sim.run(t_end=c["transient"] + c["window"], save_every=c["save_every"])
    return steady_state(ds, start=c["transient"] + 0.5 * c["save_every"], batches=10,
                        field=field_v_per_m, velocity="drift_velocity")


def point(st):
    """(v, stderr [cm/s] along the field, mean energy [eV], valley populations, their
    stderr) of a :func:`drift` steady state."""
    return (100.0 * float(st["drift_velocity_mean"][0]),
            100.0 * float(st["drift_velocity_mean_stderr"][0]),
            float(st["band_energy_mean"] / st["total_weight_mean"]) / e,
            [float(x) for x in st["valley_population_mean"]],
            st["valley_population_mean_stderr"].values)


def silicon_dataset(rows, name, quick, passed, reference, data=None, coords=None, attrs=None):
    """The dataset of a silicon case's table ``rows`` (dicts with direction, field_kV_per_cm,
    pmc_cm_per_s, stderr_cm_per_s, canali_cm_per_s, mean_energy_eV, valley_population) plus
    ``data``, ``coords`` and ``attrs``; ``reference``: the long name of the Canali column."""
    n = len(rows)
    ds = xr.Dataset(
        {"drift_velocity": ("case", [r["pmc_cm_per_s"] for r in rows],
                            {"units": "cm/s", "long_name": "pmc drift velocity along the field"}),
         "drift_velocity_stderr": ("case", [r["stderr_cm_per_s"] for r in rows],
                                   {"units": "cm/s", "long_name": "batch-means standard error"}),
         "canali": ("case", [r["canali_cm_per_s"] for r in rows],
                    {"units": "cm/s", "long_name": reference}),
         "mean_energy": ("case", [r["mean_energy_eV"] for r in rows],
                         {"units": "eV", "long_name": "mean energy per electron"}),
         "valley_population": (("case", "valley"), [r["valley_population"] for r in rows],
                               {"units": "1", "long_name": "valley populations"}),
         **(data or {})},
        coords={"field": ("case", [r["field_kV_per_cm"] for r in rows], {"units": "kV/cm"}),
                "direction": ("case", [r["direction"] for r in rows]),
                "valley": ("valley", ["X1", "X2", "X3"]), "case": np.arange(n), **(coords or {})},
        attrs={"case_name": name, "quick": int(quick), "passed": int(passed), **(attrs or {})})
    return ds


def canali_panel(ax, ds, ref, f, scatter, label):
    """Drift velocity against field: the reference curve ``ref`` at fields ``f`` [kV/cm] with
    its +- ``scatter`` band, and pmc's points along <100> and <111>."""
    ax.loglog(f, ref, "k-", label=label)
    ax.fill_between(f, ref * (1 - scatter), ref * (1 + scatter), color="0.85",
                    label="fit +- 5 %")
    for d, mk in (("100", "o"), ("111", "s")):
        sel = ds.direction == d
        ax.errorbar(ds.field[sel], ds.drift_velocity[sel], yerr=ds.drift_velocity_stderr[sel],
                    fmt=mk, label=f"pmc, E || <{d}>")
    ax.set_xlabel("field [kV/cm]")
    ax.set_ylabel("drift velocity [cm/s]")


def population_panel(ax, ds):
    """Valley populations against field along <100> (X1: heavy axis along E)."""
    sel = ds.direction == "100"
    for k, name in enumerate(ds.valley.values):
        label = f"{name} ({'axis along E' if k == 0 else 'axis across E'})"
        ax.semilogx(ds.field[sel], ds.valley_population[sel, k], "o-", label=label)
    ax.set_xlabel("field [kV/cm] (<100>)")
    ax.set_ylabel("valley population")
    ax.legend(fontsize=8)
