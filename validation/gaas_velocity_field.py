"""(21) Electrons in GaAs at 300 K: low-field mobility, peak velocity, negative differential
mobility and the Gamma-L transfer, with the three-valley model.

References: the three-valley model of M. A. Littlejohn, J. R. Hauser and T. H. Glisson,
J. Appl. Phys. 48, 4587 (1977) and J. Pozela and A. Reklaitis, Solid-State Electron. 23, 927
(1980) (:func:`pmc.materials.get` "GaAs": Gamma, L, X valleys, polar optical, acoustic,
intervalley and L optical phonons, no impurities). For pure GaAs at 300 K these works and
C. Jacoboni and L. Reggiani, Rev. Mod. Phys. 55, 645 (1983), fig. 23 give a low-field mobility
about 8000 cm^2/Vs and a peak drift velocity about 2e7 cm/s at 3-4 kV/cm, beyond which the
transfer to the heavy L valleys makes the velocity fall (negative differential mobility) while
the L population rises.

These references are read off curves, not tabulated: we take their one-standard-deviation
uncertainty as 5 % for the mobility (``MOBILITY_SCATTER``; the published values for pure GaAs
at 300 K lie within 7500-8500) and 10 % for the peak velocity (``PEAK_SCATTER``; published
Monte Carlo peaks of this model lie within 1.8-2.2e7 cm/s). Each field runs from the
equilibrium for a transient of 4 ps (2 ps quick) and is averaged over the next 6 ps (2 ps quick)
with :func:`pmc.averages.steady_state` (10 batches); dt = 1 fs, a tenth of the shortest
scattering time of hot Gamma electrons.

Figure of merit: the larger |z| of the mobility (at the lowest field) and of the peak velocity,
z = (pmc - reference) / sqrt((scatter reference)^2 + s^2) with s the batch-means standard
error; tolerance 3. The case also requires (each beyond three combined standard errors) the
velocity maximum among the fields to lie at 2-5 kV/cm, the velocity at 10 kV/cm to lie below
it (negative differential mobility), and the L population at 10 kV/cm to exceed the one at
the peak.
"""
import pathlib
import sys
import time

import numpy as np
import xarray as xr

import pmc
import pmc.validate
from pmc.units import K
from pmc.validate import Verdict

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from _velocity_field import drift, point  # noqa: E402

NUMBER = 21
NAME = "gaas_velocity_field"
MOBILITY = 8000.0       # cm^2/Vs
MOBILITY_SCATTER = 0.05
PEAK = 2.0e7            # cm/s
PEAK_SCATTER = 0.10
PEAK_FIELDS = (2.0, 5.0)  # kV/cm
TOLERANCE = 3.0


def parameters(quick):
    if quick:
        return dict(fields=[0.5, 3.0, 10.0], n=1000, dt=1e-15, transient=2e-12,
                    window=2e-12, save_every=2e-14)
    return dict(fields=[0.25, 1.0, 2.0, 3.0, 4.0, 5.0, 7.0, 10.0, 20.0], n=10_000, dt=1e-15,
                transient=4e-12, window=6e-12, save_every=5e-14)


def run(quick, outdir):
    c = parameters(quick)
    started = time.perf_counter()
    mat = pmc.materials.get("GaAs", temperature=300 * K)
    fields = np.array(c["fields"])
    v, s, energy, pops, pop_err = [], [], [], [], []
    for k, f in enumerate(fields):
        v_k, s_k, energy_k, pops_k, pop_err_k = point(drift(mat, f * 1e5, c, seed=210 + k))
        v.append(v_k)
        s.append(s_k)
        energy.append(energy_k)
        pops.append(pops_k)
        pop_err.append(pop_err_k)
    v, s, pops, pop_err = np.array(v), np.array(s), np.array(pops), np.array(pop_err)
    mobility = v[0] / (fields[0] * 1e3)
    mobility_err = s[0] / (fields[0] * 1e3)
    z_mu = (mobility - MOBILITY) / np.hypot(MOBILITY_SCATTER * MOBILITY, mobility_err)
    ip = int(np.argmax(v))
    z_peak = (v[ip] - PEAK) / np.hypot(PEAK_SCATTER * PEAK, s[ip])
    i10 = int(np.argmin(np.abs(fields - 10.0)))
    ndm = (v[ip] - v[i10]) / np.hypot(s[ip], s[i10])
    transfer = (pops[i10, 1] - pops[ip, 1]) / np.hypot(pop_err[i10, 1], pop_err[ip, 1])
    peak_ok = PEAK_FIELDS[0] <= fields[ip] <= PEAK_FIELDS[1]
    fom = float(max(abs(z_mu), abs(z_peak)))
    passed = bool(fom <= TOLERANCE and peak_ok and ndm > TOLERANCE and transfer > TOLERANCE)
    ds = xr.Dataset(
        {"drift_velocity": ("field", v, {"units": "cm/s", "long_name": "pmc drift velocity"}),
         "drift_velocity_stderr": ("field", s, {"units": "cm/s",
                                                "long_name": "batch-means standard error"}),
         "mean_energy": ("field", energy, {"units": "eV", "long_name": "mean energy"}),
         "valley_population": (("field", "valley"), pops, {"units": "1"}),
         "valley_population_stderr": (("field", "valley"), pop_err, {"units": "1"})},
        coords={"field": ("field", fields, {"units": "kV/cm"}),
                "valley": ("valley", list(mat.band.names))},
        attrs={"case_name": NAME, "quick": int(quick), "passed": int(passed)})
    ds.to_netcdf(outdir / f"{NAME}.nc")
    _figure(ds, outdir / f"{NAME}.png")
    table = [{"field_kV_per_cm": float(f), "pmc_cm_per_s": float(a), "stderr": float(b),
              "mean_energy_eV": float(en), "population_Gamma_L_X": [float(x) for x in p]}
             for f, a, b, en, p in zip(fields, v, s, energy, pops)]
    return Verdict(name=NAME, figure_of_merit="max |z| of the low-field mobility (8000, 5 %) and "
                   "the peak velocity (2e7 cm/s, 10 %); also peak at 2-5 kV/cm, NDM, L transfer",
                   value=fom, tolerance=TOLERANCE, passed=passed,
                   details={"table": table, "mobility_cm2_per_Vs": float(mobility),
                            "mobility_stderr": float(mobility_err), "z_mobility": float(z_mu),
                            "peak_cm_per_s": float(v[ip]), "peak_field_kV_per_cm":
                            float(fields[ip]), "z_peak": float(z_peak),
                            "ndm_in_stderr": float(ndm), "l_transfer_in_stderr": float(transfer),
                            "seconds": round(time.perf_counter() - started, 1)})


def _figure(ds, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(14, 4.2))
    ax = axes[0]
    f = np.logspace(np.log10(float(ds.field.min())) - 0.2, np.log10(float(ds.field.max())) + 0.2)
    ax.loglog(f, MOBILITY * f * 1e3, "k:", label="8000 cm^2/Vs x E")
    ax.axhline(PEAK, color="k", ls="--", label="peak 2e7 cm/s (JR 1983, PR 1980)")
    ax.axvspan(3.0, 4.0, color="0.9", label="peak field 3-4 kV/cm")
    ax.errorbar(ds.field, ds.drift_velocity, yerr=ds.drift_velocity_stderr, fmt="o-",
                label="pmc")
    ax.set_ylim(1e6, 5e7)
    ax.set_xlabel("field [kV/cm]")
    ax.set_ylabel("drift velocity [cm/s]")
    ax.set_title("electrons in GaAs, 300 K")
    ax.legend(fontsize=8)
    ax = axes[1]
    for k, name in enumerate(ds.valley.values):
        ax.errorbar(ds.field, ds.valley_population[:, k], yerr=ds.valley_population_stderr[:, k],
                    fmt="o-", label=str(name))
    ax.set_xscale("log")
    ax.set_xlabel("field [kV/cm]")
    ax.set_ylabel("valley population")
    ax.legend(fontsize=8)
    ax = axes[2]
    ax.loglog(ds.field, ds.mean_energy, "o-")
    ax.set_xlabel("field [kV/cm]")
    ax.set_ylabel("mean energy [eV]")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


if __name__ == "__main__":
    pmc.validate.script(run)
