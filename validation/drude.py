"""(5) Drude: a uniform field plus elastic isotropic scattering gives the drift velocity F tau / m,
and without the field the diffusion coefficient obeys the Einstein relation D = kT tau / m.

Elastic isotropic scattering at the constant rate 1 / tau (``pmc.collisions.ElasticIsotropic``)
sends a marker into a uniformly random direction, so the mean final momentum is zero and the
mean momentum obeys d<p>/dt = F - <p> / tau exactly, whatever the energy distribution (the
uniform field heats the gas without bound, but a constant rate makes the momentum balance
exact): <v>(t) = (F tau / m) (1 - exp(-t / tau)) for a parabolic band. Without a field the
velocity of a marker is a jump process with autocorrelation <v_x(0) v_x(t)> = (kT / m)
exp(-t / tau), so the mean squared displacement of an equilibrium gas is
MSD(t) = 2 D (t - tau (1 - exp(-t / tau))) with D = kT tau / m, and D = mu kT with the mobility
mu = tau / m: the Einstein relation (P. Drude, Ann. Phys. 306, 566 (1900); A. Einstein,
Ann. Phys. 322, 549 (1905); N. W. Ashcroft and N. D. Mermin, Solid State Physics, 1976, ch. 1).

Both are run through the driver (Strang splitting: half push, collide, half push) in 1D1V (the
direction is a random sign) and 1D3V (isotropic on the sphere), units m = kT = tau = 1, F = 0.2,
dt = 0.05 tau, t = 0 .. 20 tau, N markers from a Maxwellian at kT (N = 20 000 quick,
200 000 full), open boundaries and collision cells over [-1000, 1000). The Strang splitting
changes both the drift velocity and D by the same factor (h / 2) coth(h / 2) = 1 + h^2 / 12
(h = dt / tau: 2e-4 here, below a tenth of the smallest standard error), so the relation
D = mu kT holds exactly in the scheme.

Estimators, from independent markers (so their standard errors are the sample standard
deviations over sqrt(N)): the drift velocity as each marker's displacement over
t in [8 tau, 20 tau] divided by 12 tau (the transient left at 8 tau is e^-8 / 12 = 3e-5 of the
drift); D as the mean squared displacement from t = 0 to t = 20 tau divided by
2 (t - tau (1 - e^(-t / tau))); the Einstein ratio D / (mu kT), with mu = v_d / F from the
independent field run, by the delta method.

Figure of merit: the largest |z| over the six comparisons (drift, diffusion, Einstein ratio in
1D1V and 1D3V), z = (measured - exact) / standard error. Tolerance 4 (correlated, so a false
alarm rate below 6 x 6e-5). The scattering events recorded by the driver must also match
N t / tau within 4 sqrt(N t / tau).
"""
import math
import pathlib

import numpy as np
import xarray as xr

import pmc
import pmc.validate
from pmc.validate import Verdict

NUMBER = 5
NAME = "drude"
TOLERANCE = 4.0


def parameters(quick):
    return dict(mass=1.0, temperature=1.0, tau=1.0, force=0.2, dt=0.05, t_end=20.0, t1=8.0,
                save_every=0.5, n=20_000 if quick else 200_000)


def _simulate(c, dp, force, seed):
    """Run one gas; returns (time, mean v_x(t), MSD(t), x at t1, x at t_end, x at 0, events)."""
    m, kT = c["mass"], c["temperature"]
    potential = pmc.potentials.UniformField(force) if force else None
    H = pmc.Hamiltonian(pmc.bands.Parabolic(mass=m), potential, hbar=1.0)
    gas = pmc.states.Maxwellian(temperature=kT, mass=m, x=(0.0, 1.0), momentum_dims=dp)
    markers = pmc.sample(gas, c["n"], seed=seed)
    sim = pmc.Simulation(H, markers, dt=c["dt"], cells=pmc.Cells(-1000.0, 1000.0, 8),
                         collisions=[pmc.collisions.ElasticIsotropic(rate=1.0 / c["tau"])],
                         seed=seed)
    x0 = sim.markers.x.copy()
    times = np.arange(0.0, c["t_end"] + 1e-9, c["save_every"])
    vmean, msd, events = [0.0], [0.0], 0
    for t in times[1:]:
        frame = sim.run(t, t - sim.time, progress=False).isel(time=-1)
        events += int(frame.collisions.sel(mechanism="elastic_isotropic"))
        vmean.append(float(frame.momentum.sel(component="px") / frame.total_weight / m))
        msd.append(float(np.mean((sim.markers.x - x0) ** 2)))
        if abs(t - c["t1"]) < 1e-9:
            x1 = sim.markers.x.copy()
    return times, np.array(vmean), np.array(msd), x0, x1, sim.markers.x.copy(), events


def _ratio_z(a, sa, b, sb, cov, exact):
    """z of a / b against ``exact`` by the delta method."""
    r = a / b
    s = abs(r) * math.sqrt((sa / a) ** 2 + (sb / b) ** 2 - 2 * cov / (a * b))
    return r, s, (r - exact) / s


def run(quick, outdir):
    outdir = pathlib.Path(outdir)
    c = parameters(quick)
    m, kT, tau, F = c["mass"], c["temperature"], c["tau"], c["force"]
    n, T, t1 = c["n"], c["t_end"], c["t1"]
    results, series = {}, {}
    for k, (label, dp) in enumerate((("1d1v", 1), ("1d3v", 3))):
        # drift: per-marker displacement over [t1, T]
        times, v, _, _, x1, x2, ev_f = _simulate(c, dp, F, seed=10 * k + 1)
        vd_i = (x2 - x1) / (T - t1)
        vd, s_vd = vd_i.mean(), vd_i.std(ddof=1) / math.sqrt(n)
        # diffusion: per-marker squared displacement over [0, T] in equilibrium
        times, v0, msd, x0, _, x2, ev_d = _simulate(c, dp, 0.0, seed=10 * k + 2)
        g = 2.0 * (T - tau * (1.0 - math.exp(-T / tau)))
        d_i = (x2 - x0) ** 2 / g
        D, s_D = d_i.mean(), d_i.std(ddof=1) / math.sqrt(n)
        # Einstein ratio D / (mu kT), mu = v_d / F: the two runs are independent (cov = 0)
        ratio, s_ratio, z_ratio = _ratio_z(D, s_D, vd / F * kT, s_vd / F * kT, 0.0, 1.0)
        events = ev_f + ev_d
        expect = 2 * n * T / tau
        results[label] = {
            "drift_velocity": vd, "drift_velocity_stderr": s_vd,
            "drift_velocity_exact": F * tau / m, "z_drift": (vd - F * tau / m) / s_vd,
            "diffusion": D, "diffusion_stderr": s_D, "diffusion_exact": kT * tau / m,
            "z_diffusion": (D - kT * tau / m) / s_D,
            "einstein_ratio": ratio, "einstein_ratio_stderr": s_ratio, "z_einstein": z_ratio,
            "events": events, "events_expected": expect,
            "z_events": (events - expect) / math.sqrt(expect),
        }
        series[label] = (times, v, v0, msd)

    z = [results[k][f"z_{q}"] for k in results for q in ("drift", "diffusion", "einstein")]
    fom = float(np.max(np.abs(z)))
    events_ok = all(abs(r["z_events"]) <= TOLERANCE for r in results.values())
    passed = fom <= TOLERANCE and events_ok
    h = c["dt"] / tau
    splitting = (h / 2) / math.tanh(h / 2) - 1.0

    times = series["1d1v"][0]
    ds = xr.Dataset(
        {"mean_velocity_field": (("case", "time"), [series[k][1] for k in series],
                                 {"units": "m/s", "long_name": "mean velocity <v_x> under F"}),
         "mean_velocity_no_field": (("case", "time"), [series[k][2] for k in series],
                                    {"units": "m/s", "long_name": "<v_x> without field"}),
         "msd": (("case", "time"), [series[k][3] for k in series],
                 {"units": "m^2", "long_name": "mean squared displacement without field"}),
         "mean_velocity_exact": ("time", F * tau / m * (1 - np.exp(-times / tau)),
                                 {"units": "m/s", "long_name": "F tau / m (1 - exp(-t / tau))"}),
         "msd_exact": ("time", 2 * kT * tau / m * (times - tau * (1 - np.exp(-times / tau))),
                       {"units": "m^2",
                        "long_name": "2 D (t - tau (1 - exp(-t / tau))), D = kT tau / m"})},
        coords={"case": ("case", list(series)),
                "time": ("time", times, {"units": "s", "long_name": "time"})},
        attrs={"case": NAME, "quick": int(quick), "n_markers": n, "figure_of_merit":
               "max |z| of drift, diffusion, Einstein ratio", "tolerance": TOLERANCE,
               "passed": int(passed), "strang_factor_minus_one": splitting})
    for label, r in results.items():
        for key, value in r.items():
            ds.attrs[f"{label}_{key}"] = float(value)
    ds.to_netcdf(outdir / f"{NAME}.nc")
    _figure(ds, results, outdir / f"{NAME}.png")
    return Verdict(
        name=NAME, figure_of_merit="max |z| over drift velocity vs F tau / m, D vs kT tau / m "
                                   "and D / (mu kT) vs 1, in 1D1V and 1D3V",
        value=fom, tolerance=TOLERANCE, passed=passed,
        details={"results": results, "strang_factor_minus_one": splitting, "n_markers": n,
                 "events_ok": events_ok})


def _figure(ds, results, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    t = ds.time.values
    ax = axes[0]
    for k, case in enumerate(ds.case.values):
        r = results[str(case)]
        ax.plot(t, ds.mean_velocity_field.sel(case=case), "o", ms=3, color=f"C{k}",
                label=f"{case}: v_d = {r['drift_velocity']:.4f} +- "
                      f"{r['drift_velocity_stderr']:.4f}")
        ax.plot(t, ds.mean_velocity_no_field.sel(case=case), ".", ms=2, color=f"C{k}")
    ax.plot(t, ds.mean_velocity_exact, "k-", label="F tau / m (1 - exp(-t / tau))")
    ax.axhline(0.0, color="k", lw=0.5)
    ax.set_xlabel("t / tau")
    ax.set_ylabel("<v_x> (field F = 0.2; dots: no field)")
    ax.legend(fontsize=8)
    ax = axes[1]
    for k, case in enumerate(ds.case.values):
        r = results[str(case)]
        ax.plot(t, ds.msd.sel(case=case), "o", ms=3, color=f"C{k}",
                label=f"{case}: D = {r['diffusion']:.4f} +- {r['diffusion_stderr']:.4f}, "
                      f"D / mu kT = {r['einstein_ratio']:.4f}")
    ax.plot(t, ds.msd_exact, "k-", label="2 D (t - tau (1 - exp(-t / tau))), D = kT tau / m")
    ax.set_xlabel("t / tau")
    ax.set_ylabel("MSD (no field)")
    ax.legend(fontsize=8)
    zmax = max(abs(r[f"z_{q}"]) for r in results.values()
               for q in ("drift", "diffusion", "einstein"))
    fig.suptitle(f"(5) Drude and Einstein: elastic isotropic scattering, N = "
                 f"{ds.attrs['n_markers']} markers, max |z| = {zmax:.2f}")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


if __name__ == "__main__":
    pmc.validate.script(run)
