"""(42) GNU Archimedes' silicon n+-n-n+ diode on its own two-dimensional deck: equilibrium,
contact and Ramo-Shockley currents at 1 V, the two-dimensional current against the
one-dimensional diode of case 40, and against Archimedes itself.

Device (Archimedes ``examples/DIODE/diode.input``, J. M. Sellier; the public copy
github.com/jmarini/archimedes-nitrides): silicon at 300 K, 1 um along x by 0.1 um across (y),
n+ (5e17 cm^-3) for 0.3 um, n (2e15 cm^-3) for 0.4 um, n+ for 0.3 um; ``CONTACT LEFT`` and
``CONTACT RIGHT`` ohmic over the whole width (0 to 0.1 um), 0 V and 1 V; ``CONTACT UP`` and
``CONTACT DOWN`` insulating over the whole length; ``XSPATIALSTEP 100``, ``YSPATIALSTEP 25``:
a mesh of 100 x 25 cells, 101 x 26 nodes (10 nm x 4 nm); ``TIMESTEP`` 1.5 fs; acoustic and
optical (intervalley) phonons on, nothing else. Here:

* markers with two position and three momentum components (weights per unit length along z),
  sampled at the Poisson-Boltzmann equilibrium of the doping along x and uniformly across
  (:class:`pmc.devices.DopedEquilibrium` with ``width``);
* :class:`pmc.fields.Poisson` on Archimedes' 101 x 26 nodes, CIC, Dirichlet on the contact faces
  (x = 0, x = 1 um: 0 V and the bias) and Neumann on the insulating sides (y = 0, 0.1 um); the
  ionized donors as background (the exact cell average of the doping around each node);
* :class:`pmc.Injecting` with one extent per axis: ohmic contacts (:class:`pmc.Reservoir`,
  ``rule="neutral"``: the thermal flux of the n+ reservoir through the face, entry points
  uniform across it, and the contact cell, one mesh cell (10 nm) deep and the whole width,
  brought back to the doping after every push) and specular insulating sides;
* the band and phonons of case 40 (pmc's silicon in its single-valley Kane approximation,
  the Jacoboni-Reggiani acoustic and six intervalley phonons), as Archimedes treats silicon
  (its ``scatter`` for a one-valley material: six non-polar optical phonons and acoustic
  scattering, final states isotropic). Its small acceptor background (1e14 cm^-3) is left out,
  as in case 40.

Terminal currents per unit length along z [A/m]: ``contact_current`` (charge through each
contact face per frame interval) and ``ramo_current`` (Ramo-Shockley with the weighting
potential solved on the Poisson mesh, its gradient interpolated to the markers); divided by
the width they are current densities [A/m^2] comparable with case 40's.

Checks (each a ratio deviation / allowance; the figure of merit is the largest, tolerance 1):

1. Equilibrium (0 V): the current at the right contact from the contacts and from
   Ramo-Shockley zero within 4 standard errors (10 batch means); the Fermi level flat along x
   (case 40's check 1: the density integrated across y, the potential averaged across y,
   family-wise 1 % Bonferroni t_9 bound over the bins).
2. At every bias the contact and Ramo-Shockley currents agree (batch mean of the difference
   within 4 standard errors; the two contacts sum to zero likewise).
3. Nothing depends on y (insulating sides, contacts over the full width): the time-averaged
   potential minus its mean across y, at every node, against the family-wise 1 % Bonferroni
   t_9 bound over the nodes (its batch errors). REPORTED, NOT APPLIED (``details["reported"]``):
   the batch errors of the transverse modes are not trustworthy at these run lengths. The
   lowest transverse mode of the n region relaxes at its dielectric relaxation time,
   eps / (e n mu) = 2.3 ps for 2e15 cm^-3 and 1400 cm^2/Vs, comparable with the whole
   averaging window, and in the n+ regions the transverse modes ring at the plasma frequency
   (period 2 pi / omega_p = 0.27 ps for 5e17 cm^-3 and 0.26 m_e) with an autocorrelation still
   0.8 after two periods (measured at 5000 markers). Full size (40 000 markers, 3.5 ps, 0.35 ps
   batches) gives 2.7 (0 V) and 1.9 (1 V) of the bound, a largest deviation of 1.5 and 1.1 mV
   (0.06 kT/e and less), mostly antisymmetric across y and of opposite sign at the two biases
   (a tilt of the n region's potential): slow noise, not a wall effect, which would be
   symmetric about y = W/2 and of one sign. Independent replicas would give honest errors;
   the current (check 4) is the y-independence that the comparison with 1-D needs.
4. The current at 1 V equals the one-dimensional diode's (case 40's model on 201 nodes, run
   here at the same bias): |J_2D - J_1D| within 4 standard errors of the difference (the two
   runs independent). The 1-D mesh is finer (5 nm against 10 nm along x): a mesh effect
   would show here.

5. (Full run only.) Archimedes itself on this deck at 1 V: its current against pmc's with
   Archimedes' silicon band (its defaults, ``src/material_parameters.h``: one spherical Kane
   valley, m* = 0.32 m_e, alpha = 0.5 / eV, and the phonon rates of that mass) in place of
   the single-valley approximation (0.26 m_e). Reference: Archimedes (the public copy
   github.com/jmarini/archimedes-nitrides at 1752ec3, built with
   ``gcc -std=c11 -O3 -fms-extensions -Isrc src/*.c -lm``) run on ``examples/DIODE/
   diode.input`` here with FINALTIME 5 ps and STATISTICALWEIGHT 100 (1.5e5 particles, for
   time): the Ramo-Shockley current of its full-width contacts, e c N <v_x> / L (c its
   carriers per super-particle, N its particle count and <v_x> its ``velocity.csv``, per
   step), averaged over t >= 1.5 ps by 10 batch means: :data:`ARCHIMEDES_1V`. (Its printed
   contact currents divide a velocity summed over every step by MEDIA = 500 steps, so after
   3333 steps they are 6.7 times too large.) Allowance: 4 standard errors of the difference.
   The phonon energies and couplings still differ in detail (Archimedes: Sellier and
   Tomizawa; pmc: Jacoboni and Reggiani), as do the contact models.

--quick: 10 000 markers, 0 V and 1 V for 1.2 ps each (0.45 ps transient), and the 1-D diode at
1 V of case 40's --quick size. Full: 40 000 markers for 5 ps (1.5 ps transient), the 1-D
diode of case 40's full size.
"""
import pathlib
import sys
import time

import numpy as np
import xarray as xr
from scipy import stats

import pmc
import pmc.validate
from pmc.averages import batch_means
from pmc.devices import DopedEquilibrium, drift_diffusion
from pmc.units import e, eV, hbar, m_e
from pmc.validate import Verdict

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import si_diode  # noqa: E402
from si_diode import (BATCHES, DOPING, DT, LENGTH, PERMITTIVITY,  # noqa: E402
                      TEMPERATURE, Z)

NUMBER = 42
NAME = "si_diode_2d"
TOLERANCE = 1.0
WIDTH = 0.1e-6
#: Archimedes' mesh: XSPATIALSTEP 100, YSPATIALSTEP 25 (cells), nodes one more per axis
NODES = (101, 26)
#: family-wise false-alarm probability of the checks over bins and nodes
FALSE_ALARM = 0.01
#: Archimedes' current at 1 V [A/m per unit length along z] and its standard error (check 5)
ARCHIMEDES_1V = (15.774, 0.788)
#: Archimedes' silicon: one spherical Kane valley (src/material_parameters.h)
ARCHIMEDES_MASS, ARCHIMEDES_ALPHA = 0.32, 0.5


def parameters(quick):
    """The run's sizes."""
    if quick:
        return dict(n=10_000, biases=[0.0, 1.0], t_end=1.2e-12, start=0.45e-12, every=10)
    return dict(n=40_000, biases=[0.0, 1.0], t_end=5e-12, start=1.5e-12, every=20)


def build(n, bias, seed, band="single", **options):
    """The two-dimensional diode as a :class:`pmc.Simulation` with ``n`` markers at ``bias``
    [V] (also the deck of ``benchmarks/bench_device.py``); ``band``: "single" (the
    single-valley Kane approximation), "valleys" (six X valleys) or a band (e.g.
    Archimedes' one spherical Kane valley, ``pmc.bands.Kane(0.32 m_e, 0.5 / eV)``: the phonon
    rates then take its mass); ``options`` go to the Simulation."""
    mat = pmc.materials.get("Si", temperature=TEMPERATURE)
    if isinstance(band, str):
        if band not in ("single", "valleys"):
            raise ValueError(f"band must be 'single', 'valleys' or a pmc band, got {band!r}")
        band = mat.single_valley() if band == "single" else mat.band
    H = pmc.Hamiltonian(band, hbar=hbar)
    eq = drift_diffusion(DOPING, mobility=0.1, temperature=TEMPERATURE,
                         permittivity=PERMITTIVITY, voltage=0.0, nodes=201)
    markers = pmc.sample(DopedEquilibrium(DOPING, band, TEMPERATURE, profile=(eq.x, eq.density),
                                          width=(0.0, WIDTH)), n, seed=seed)
    hx = LENGTH / (NODES[0] - 1)
    left, right = DOPING.contacts(TEMPERATURE, weight=markers.total_weight / n, cell=hx)
    nodes = np.linspace(0.0, LENGTH, NODES[0])
    boxes = np.concatenate([[0.0], 0.5 * (nodes[1:] + nodes[:-1]), [LENGTH]])
    background = np.repeat(e * DOPING.cell_average(boxes)[:, np.newaxis], NODES[1], axis=1)
    field = pmc.fields.Poisson((0.0, 0.0), (LENGTH, WIDTH), NODES,
                               boundary=("dirichlet", "neumann"), charge=-e,
                               permittivity=PERMITTIVITY, background=background,
                               voltages=(0.0, bias))
    return pmc.Simulation(H, markers, dt=DT,
                          boundary=pmc.Injecting((0.0, 0.0), (LENGTH, WIDTH), left=left,
                                                 right=right, charge=-e),
                          fields=[field], collisions=mat.collisions(),
                          cells=pmc.Cells((0.0, 0.0), (LENGTH, WIDTH), (1, 1)), seed=seed,
                          **options)


def _run(c, bias, seed, band="single"):
    mass = pmc.materials.get("Si", temperature=TEMPERATURE).single_valley().mass
    pth = np.sqrt(mass * TEMPERATURE)  # the grid's p range: any
    grid = pmc.PhaseSpaceGrid(x=(np.arange(100) + 0.5) * LENGTH / 100,
                              p=np.linspace(-200 * pth, 200 * pth, 3))
    sim = build(c["n"], bias, seed, band=band, grid=grid,
                observables=("density", "mean_velocity"))
    with pmc.threads.limited(numba_threads=1):
        save = c["every"] * DT
        return sim.run(round(c["t_end"] / save) * save, save)


def _steady(ds, start, n):
    """Batch means (value, stderr) of the time-averaged profiles and currents; densities
    [1/m^3] and currents [A/m^2] per unit width."""
    w = ds.sel(time=ds.time >= start)
    out = {}
    for name in ("contact_current", "ramo_current"):
        out[name] = tuple(v / WIDTH for v in batch_means(w[name].values, BATCHES))
    out["difference"] = tuple(v / WIDTH for v in batch_means(
        (w["contact_current"] - w["ramo_current"]).values, BATCHES))
    out["sum"] = tuple(v / WIDTH for v in batch_means(w["contact_current"].values.sum(axis=1),
                                                      BATCHES))
    out["density"] = tuple(v / WIDTH for v in batch_means(w["density"].values, BATCHES))
    phi = w["potential"].values  # (time, x, y)
    out["potential"] = batch_means(phi.mean(axis=2), BATCHES)
    out["potential_2d"] = batch_means(phi, BATCHES)
    out["across"] = batch_means(phi - phi.mean(axis=2, keepdims=True), BATCHES)
    out["velocity"] = batch_means(np.nan_to_num(w["mean_velocity"].values), BATCHES)
    out["markers_per_bin"] = out["density"][0] * (LENGTH / 100) / (DOPING.total() / n)
    return out


def _bonferroni(count):
    """The t_9 quantile of a family-wise FALSE_ALARM over ``count`` two-sided tests."""
    return stats.t.ppf(1.0 - FALSE_ALARM / (2 * count), BATCHES - 1)


def run(quick, outdir):
    c = parameters(quick)
    started = time.perf_counter()
    checks, rows, profiles, reported = {}, [], {}, {}
    for k, bias in enumerate(c["biases"]):
        s = _steady(_run(c, bias, seed=4200 + k), c["start"], c["n"])
        profiles[bias] = s
        (ic, ic_s), (ir, ir_s) = s["contact_current"], s["ramo_current"]
        (dm, ds_), (sm, ss) = s["difference"], s["sum"]
        rows.append({"bias_V": bias, "contact_A_per_m2": float(ic[1]),
                     "contact_stderr": float(ic_s[1]), "ramo_A_per_m2": float(ir[1]),
                     "ramo_stderr": float(ir_s[1]), "difference": float(dm[1]),
                     "difference_stderr": float(ds_[1]), "contacts_sum": float(sm),
                     "contacts_sum_stderr": float(ss)})
        checks[f"contact_vs_ramo_{bias:g}V"] = abs(dm[1]) / (Z * ds_[1])
        checks[f"contacts_sum_{bias:g}V"] = abs(sm) / (Z * ss)
        dev, dev_s = s["across"]
        inner = dev_s > 0  # Dirichlet nodes carry no noise
        across = float(np.max(np.abs(dev[inner]) / (_bonferroni(int(inner.sum()))
                                                     * dev_s[inner])))
        reported[f"uniform_across_{bias:g}V"] = across
        reported[f"largest_deviation_across_{bias:g}V_mV"] = float(np.max(np.abs(dev)) * 1e3)
        if bias == 0.0:
            checks["equilibrium_contact_current"] = abs(ic[1]) / (Z * ic_s[1])
            checks["equilibrium_ramo_current"] = abs(ir[1]) / (Z * ir_s[1])
            checks["equilibrium_fermi_level"] = si_diode._fermi_check(s, nodes=NODES[0])
    # the one-dimensional diode of case 40 at 1 V
    c1 = si_diode.parameters(quick)
    s1 = si_diode._steady(si_diode._diode(c1, 1.0, seed=4290), c1["start"], c1["n"])
    (j1, j1_s) = (float(s1["ramo_current"][0][1]), float(s1["ramo_current"][1][1]))
    two = next(r for r in rows if r["bias_V"] == 1.0)
    j2, j2_s = two["ramo_A_per_m2"], two["ramo_stderr"]
    checks["two_vs_one_dimension_1V"] = abs(j2 - j1) / (Z * np.hypot(j2_s, j1_s))
    details = {"iv": rows, "one_dimension_1V": {"ramo_A_per_m2": j1, "ramo_stderr": j1_s,
                                                "markers": c1["n"]},
               "current_A_per_m_at_1V": j2 * WIDTH}
    if not quick:  # check 5: Archimedes' band, against Archimedes
        band = pmc.bands.Kane(mass=ARCHIMEDES_MASS * m_e, alpha=ARCHIMEDES_ALPHA / eV)
        sa = _steady(_run(c, 1.0, seed=4280, band=band), c["start"], c["n"])
        ja, ja_s = (float(v[1]) * WIDTH for v in sa["ramo_current"])
        ref, ref_s = ARCHIMEDES_1V
        checks["archimedes_1V"] = abs(ja - ref) / (Z * np.hypot(ja_s, ref_s))
        details["archimedes_1V"] = {"pmc_archimedes_band_A_per_m": ja, "pmc_stderr": ja_s,
                                    "archimedes_A_per_m": ref, "archimedes_stderr": ref_s}
    fom = float(max(checks.values()))
    details["checks"] = {k: float(v) for k, v in checks.items()}
    details["reported"] = reported
    details["seconds"] = round(time.perf_counter() - started, 1)
    _write(outdir, c, rows, profiles, details)
    return Verdict(name=NAME, figure_of_merit="max over checks of deviation / allowance "
                   "(equilibrium current and Fermi level, contact vs Ramo-Shockley, 2-D vs 1-D "
                   "current, Archimedes' current)", value=fom, tolerance=TOLERANCE,
                   passed=fom <= TOLERANCE, details=details)


def _write(outdir, c, rows, profiles, details):
    x = (np.arange(100) + 0.5) * LENGTH / 100
    biases = np.array([r["bias_V"] for r in rows])
    fx, fy = np.linspace(0.0, LENGTH, NODES[0]), np.linspace(0.0, WIDTH, NODES[1])
    ds = xr.Dataset(
        {"contact_current": ("bias", [r["contact_A_per_m2"] for r in rows],
                             {"units": "A/m2", "long_name": "current density into the right "
                              "contact (contact fluxes / width)"}),
         "contact_current_stderr": ("bias", [r["contact_stderr"] for r in rows],
                                    {"units": "A/m2"}),
         "ramo_current": ("bias", [r["ramo_A_per_m2"] for r in rows],
                          {"units": "A/m2", "long_name": "current density into the right "
                           "contact (Ramo-Shockley / width)"}),
         "ramo_current_stderr": ("bias", [r["ramo_stderr"] for r in rows], {"units": "A/m2"}),
         "density": (("bias", "x"), [profiles[b]["density"][0] for b in biases],
                     {"units": "1/m3", "long_name": "time-averaged electron density"}),
         "mean_velocity": (("bias", "x"), [profiles[b]["velocity"][0] for b in biases],
                           {"units": "m/s", "long_name": "time-averaged mean velocity"}),
         "potential": (("bias", "field_x", "field_y"),
                       [profiles[b]["potential_2d"][0] for b in biases],
                       {"units": "V", "long_name": "time-averaged potential"})},
        coords={"bias": ("bias", biases, {"units": "V"}), "x": ("x", x, {"units": "m"}),
                "field_x": ("field_x", fx, {"units": "m"}),
                "field_y": ("field_y", fy, {"units": "m"})},
        attrs={"case": NAME, "quick": int(c["n"] < 10_000),
               "one_dimension_1V_A_per_m2": details["one_dimension_1V"]["ramo_A_per_m2"]})
    ds.to_netcdf(outdir / f"{NAME}.nc")
    _figure(ds, profiles, details, outdir / f"{NAME}.png")


def _figure(ds, profiles, details, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(10, 7.5))
    ax = axes[0, 0]
    si_diode._currents_panel(ax, ds, "2-D ")
    one = details["one_dimension_1V"]
    ax.errorbar([1.0], [one["ramo_A_per_m2"] / 1e4], yerr=[one["ramo_stderr"] / 1e4], fmt="k*",
                ms=10, label="1-D diode (case 40)")
    ax.set_xlabel("bias [V]")
    ax.set_ylabel("current density [A/cm$^2$]")
    ax.legend(fontsize=8)
    ax = axes[0, 1]
    for b in ds.bias.values:
        ax.semilogy(ds.x * 1e6, ds.density.sel(bias=b) * 1e-6, label=f"{b:g} V")
    ax.set_xlabel("x [um]")
    ax.set_ylabel("density [cm$^{-3}$]")
    ax.legend(fontsize=8)
    ax = axes[1, 0]
    b = ds.bias.values[-1]
    im = ax.pcolormesh(ds.field_x * 1e6, ds.field_y * 1e6, ds.potential.sel(bias=b).T,
                       shading="auto")
    fig.colorbar(im, ax=ax, label="potential [V]")
    ax.set_xlabel("x [um]")
    ax.set_ylabel("y [um]")
    ax.set_title(f"time-averaged potential at {b:g} V")
    si_diode._fermi_panel(axes[1, 1], profiles)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


if __name__ == "__main__":
    pmc.validate.script(run)
