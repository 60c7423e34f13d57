"""(9) Current density: the markers' j(x) against the quantum probability current (paper eq. 42).

Eq. 42 of the paper says that, for an incoherent state, the current density is the sum of the
particles' velocities, j(x) = int (p / m) f(x, p) dp: the classical expression. For a parabolic
band the quantum probability current is exactly the same moment of the Wigner function,
j(x) = (hbar / m) Im(conj(psi) dpsi/dx) = int (p / m) W(x, p) dp, and the density
|psi|^2 = int W dp (M. Hillery, R. F. O'Connell, M. O. Scully and E. P. Wigner, Phys. Rep. 106,
121 (1984), eqs. 2.11-2.13). In a harmonic well W is carried exactly by the classical flow, so
markers drawn from W at t = 0 have, in every spatial bin and at every time, the bin integrals
of the quantum j and |psi|^2 as expectations: no smoothing enters. The state is a squeezed
Gaussian (sigma_x = 0.4 against the coherent 0.707), which breathes at twice the trap frequency,
so the current profile changes shape along the orbit.

Quantities (units hbar = m = omega = 1): x0 = 2, p0 = 1; one period saved every T / 16; N
markers (100 000 quick, 1 000 000 full) in one run, leapfrog dt = T / 800; bins of width 0.25 on
[-8, 8]; the quantum current from pmc.quantum.simulate on 1024 points of [-16, 16), integrated over
each bin by Simpson's rule on the solver points (8 intervals per bin).

Figure of merit: per saved time, chi^2 = sum over bins of ((J_markers - J_quantum) / stderr)^2
over the bins where the quantum density expects >= 25 markers (a choice made from the reference,
not the data), converted to the equivalent normal deviate z = Phi^-1(1 - P(chi^2_nu > chi^2));
the value is the largest z over the times, tolerance 4 (a family-wise false-alarm rate of
17 x 3.2e-5 = 5e-4). The same statistic for the density (eq. 39) must pass too.
"""
import math
import pathlib

import numpy as np
import xarray as xr
from scipy import integrate, stats

import pmc
import pmc.validate
from pmc.validate import Verdict

NUMBER = 9
NAME = "current_density"
TOLERANCE = 4.0
MIN_EXPECTED = 25.0


def parameters(quick):
    return dict(hbar=1.0, mass=1.0, omega=1.0, x0=2.0, p0=1.0, sigma_x=0.4,
                n=100_000 if quick else 1_000_000, steps_per_period=800, saves_per_period=16)


def _bin_integrals(values, xs, edges):
    """Simpson integrals of ``values`` (time, x) over the bins between ``edges`` (on xs)."""
    dx = xs[1] - xs[0]
    out = np.empty((values.shape[0], edges.size - 1))
    idx = np.rint((edges - xs[0]) / dx).astype(int)
    for b in range(edges.size - 1):  # over bins (65), each a vectorised Simpson rule
        sl = slice(idx[b], idx[b + 1] + 1)
        out[:, b] = integrate.simpson(values[:, sl], dx=dx, axis=1)
    return out


def _chi2_z(diff, err, keep):
    chi2 = np.sum(np.where(keep, (diff / np.where(keep, err, 1.0)) ** 2, 0.0), axis=1)
    nu = keep.sum(axis=1)
    z = stats.norm.isf(stats.chi2.sf(chi2, nu))
    return chi2, nu, z


def run(quick, outdir):
    outdir = pathlib.Path(outdir)
    c = parameters(quick)
    hbar, m, w = c["hbar"], c["mass"], c["omega"]
    H = pmc.Hamiltonian(pmc.bands.Parabolic(mass=m), pmc.potentials.Harmonic(omega=w, mass=m),
                        hbar=hbar)
    psi0 = pmc.states.GaussianWavepacket(x0=c["x0"], p0=c["p0"], sigma_x=c["sigma_x"], hbar=hbar)
    period = 2 * math.pi / w
    dt = period / c["steps_per_period"]
    save = period / c["saves_per_period"]
    h = 0.25
    centres = np.arange(-8.0, 8.0 + h / 2, h)
    grid = pmc.PhaseSpaceGrid(x=centres, p=np.linspace(-8, 8, 3))
    markers = pmc.sample(psi0, c["n"], seed=np.random.SeedSequence(909))
    ds = pmc.Simulation(H, markers, dt=dt, grid=grid, observables=["density", "current"],
                        seed=9).run(period, save, progress=False)
    xs = np.linspace(-16, 16, 1024, endpoint=False)  # dx = 1/32: bin edges are solver points
    q = pmc.quantum.simulate(H, psi0, grid=xs, t_end=period, save_every=save, dt=dt)
    edges = np.append(centres - h / 2, centres[-1] + h / 2)
    jq = _bin_integrals(q.current.values, xs, edges) / h
    nq = _bin_integrals(q.density.values, xs, edges) / h
    keep = nq * h * c["n"] >= MIN_EXPECTED
    jm, jm_err = ds.current.values, ds.current_stderr.values
    nm, nm_err = ds.density.values, ds.density_stderr.values
    chi2_j, nu_j, z_j = _chi2_z(jm - jq, jm_err, keep)
    chi2_n, nu_n, z_n = _chi2_z(nm - nq, nm_err, keep)
    fom = float(z_j.max())
    passed = fom <= TOLERANCE and float(z_n.max()) <= TOLERANCE

    out = xr.Dataset(
        {"current_markers": (("time", "x"), jm, dict(ds.current.attrs)),
         "current_markers_stderr": (("time", "x"), jm_err, dict(ds.current_stderr.attrs)),
         "current_quantum": (("time", "x"), jq,
                             {"units": "1/s", "long_name": "bin average of the quantum "
                                                           "probability current"}),
         "density_markers": (("time", "x"), nm, dict(ds.density.attrs)),
         "density_markers_stderr": (("time", "x"), nm_err, dict(ds.density_stderr.attrs)),
         "density_quantum": (("time", "x"), nq,
                             {"units": "1/m", "long_name": "bin average of |psi|^2"}),
         "chi2_current": ("time", chi2_j, {"units": "1", "long_name": "chi-square of the "
                                                                      "current"}),
         "chi2_density": ("time", chi2_n, {"units": "1", "long_name": "chi-square of the "
                                                                      "density"}),
         "dof": ("time", nu_j, {"units": "1", "long_name": "bins compared"}),
         "z_current": ("time", z_j, {"units": "1", "long_name": "chi-square as a normal "
                                                                 "deviate (current)"}),
         "z_density": ("time", z_n, {"units": "1", "long_name": "chi-square as a normal "
                                                                 "deviate (density)"})},
        coords={"time": ("time", ds.time.values, {"units": "s", "long_name": "time"}),
                "x": ("x", centres, {"units": "m", "long_name": "bin centre x"})},
        attrs={"case": NAME, "quick": int(quick), "n_markers": c["n"],
               "figure_of_merit": "max_t z(chi2 of the current)", "tolerance": TOLERANCE,
               "passed": int(passed), "pmc_version": pmc.__version__})
    out.to_netcdf(outdir / f"{NAME}.nc")
    _figure(out, outdir / f"{NAME}.png")
    return Verdict(
        name=NAME, figure_of_merit="max over saved times of the current's chi-square as a "
                                   "normal deviate", value=fom, tolerance=TOLERANCE,
        passed=passed,
        details={"z_current": z_j, "z_density": z_n, "chi2_over_dof_current": chi2_j / nu_j,
                 "chi2_over_dof_density": chi2_n / nu_n, "dof": nu_j,
                 "max_z_density": float(z_n.max()), "n_markers": c["n"],
                 "quantum_norm_deviation": float(np.abs(q.total_weight.values - 1).max())})


def _figure(ds, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(15, 4.5))
    n = ds.sizes["time"]
    for i, col in zip((0, n // 4, n // 2 - 1), ("C0", "C1", "C2")):
        t = float(ds.time[i])
        for ax, name in ((axes[0], "current"), (axes[1], "density")):
            ax.errorbar(ds.x, ds[f"{name}_markers"][i], yerr=ds[f"{name}_markers_stderr"][i],
                        fmt=".", color=col, ms=3, label=f"markers t = {t:.3g}")
            ax.plot(ds.x, ds[f"{name}_quantum"][i], "-", color=col, lw=1)
    axes[0].set_title("current density j(x): markers (dots) vs (hbar/m) Im(psi* psi')")
    axes[1].set_title("density n(x): markers (dots) vs |psi|^2")
    for ax in axes[:2]:
        ax.set_xlabel("x")
        ax.set_xlim(-5, 5)
        ax.legend(fontsize=8)
    axes[2].plot(ds.time, ds.z_current, "o-", label="current")
    axes[2].plot(ds.time, ds.z_density, "s-", label="density")
    axes[2].axhline(TOLERANCE, color="r", lw=0.8)
    axes[2].set_title("chi-square per time as a normal deviate (tolerance 4)")
    axes[2].set_xlabel("t")
    axes[2].legend()
    fig.suptitle(f"(9) current density, eq. 42: N = {ds.attrs['n_markers']} markers, harmonic "
                 "well, squeezed packet")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


if __name__ == "__main__":
    pmc.validate.script(run)
