"""(3) Quartic well: markers and the Schrödinger solution agree up to a departure (Ehrenfest)
time and part after it; the departure time grows as hbar decreases.

Setup (m = 1): U = x^4 / 4 (a strongly anharmonic well, U''' = 6 x), a Gaussian packet at rest at
x0 = 2 with the width of the local harmonic ground state, sigma_x = sqrt(hbar / 2 omega_loc),
omega_loc = sqrt(U''(x0)) (so the packet, its Husimi window sigma_w = sigma_x and the grid all
scale as sqrt(hbar): the classical limit is a point at fixed x0). Markers are drawn from the
packet's Wigner function and compared with the envelope density like with like, as in case (1),
for a sequence of hbar.

Why they part: the Wigner function obeys dW/dt = {H, W}_Poisson - (hbar^2 / 24) U''' d^3W/dp^3
+ O(hbar^4) (J. E. Moyal, Proc. Cambridge Philos. Soc. 45, 99 (1949)). The markers follow the
first term only. For a packet of momentum width sigma_p ~ sqrt(hbar) the second term is, relative
to W, of order hbar^2 U''' / sigma_p^3 ~ sqrt(hbar) U''': in the sqrt(hbar)-scaled variables the
distance between the two densities grows as sqrt(hbar) G(t) with G independent of hbar at first
order, so at a fixed noise floor it becomes detectable at a time that grows as hbar decreases
(t_d ~ hbar^(-1/2) while G grows linearly, the integrable-system Ehrenfest scaling: R. Schubert,
R. O. Vallejos and F. Toscano, J. Phys. A 45, 215307 (2012)). For a harmonic well the term
vanishes and case (1) shows agreement at all times.

Statistics: z_t = (D - F) / s per saved time, as in case (1) (D the total variation distance of
the pooled K ensembles, F the noise floor measured from them, s the scatter of D under noise
alone, times sqrt(1 + 2/K) for the scatter of F). The departure time t_d(hbar) is the first saved
time from which z stays above 4 for two consecutive saves, refined by linear interpolation of
z between that save and the one before.

Figure of merit: the first-order collapse. A(hbar) = time average over the run of
(D - F) / sqrt(hbar) must not depend on hbar as hbar -> 0; for the two smallest hbar of the
sequence (where the O(sqrt(hbar)) corrections are smallest) z_A = |A_1 - A_2| /
sqrt(sigma_1^2 + sigma_2^2), with sigma = (time average of s) / sqrt(hbar) (the saved times share
their markers, so their errors are taken as fully correlated: conservative). Tolerance 4. The
case passes only if also the markers agree at t = 0 (z_0 <= 4 for every hbar: like with like),
the densities part within the run for every hbar (t_d exists) and they part later at the
smallest hbar than at the largest (a factor 16 in hbar; neighbouring hbar differ in t_d by less
than the scatter of its estimate at these N). The details give t_d and its
local exponent against hbar (with G ~ t^k early on, t_d ~ hbar^(-1/2k)), A(hbar), and the largest
|<x>_quantum - <x>_markers| / stderr: the means, which obey the same equations classically and
quantum mechanically up to O(hbar^2) terms, stay together much longer than the densities (the
Ehrenfest theorem's regime).
"""
import math
import pathlib

import numpy as np
import xarray as xr

import pmc
import pmc.validate
from pmc.validate import Verdict

NUMBER = 3
NAME = "quartic_ehrenfest"
TOLERANCE = 4.0


def parameters(quick):
    return dict(a4=0.25, x0=2.0, mass=1.0, hbars=[0.4, 0.1, 0.025] if quick
                else [0.4, 0.2, 0.1, 0.05, 0.025],
                n=8_000 if quick else 40_000, ensembles=4, t_end=4.0,
                save_every=0.125, dt_markers=0.005, dt_quantum=0.00125)


def departure_time(t, z, tolerance=TOLERANCE):
    """Time at which z crosses ``tolerance`` for good: the first saved time i from which z stays
    above it for two saves, refined by linear interpolation of z between saves i - 1 and i
    (inf if never)."""
    above = z > tolerance
    for i in range(len(t)):
        if above[i] and (i == len(t) - 1 or above[i + 1]):
            if i == 0 or z[i - 1] >= tolerance:
                return float(t[i]), i
            f = (tolerance - z[i - 1]) / (z[i] - z[i - 1])
            return float(t[i - 1] + f * (t[i] - t[i - 1])), i
    return math.inf, len(t)


def run(quick, outdir):
    outdir = pathlib.Path(outdir)
    c = parameters(quick)
    m, x0 = c["mass"], c["x0"]
    omega = math.sqrt(12 * c["a4"] * x0 ** 2 / m)
    K = c["ensembles"]
    results = []
    for i, hbar in enumerate(c["hbars"]):
        H = pmc.Hamiltonian(pmc.bands.Parabolic(mass=m), pmc.potentials.Quartic(a4=c["a4"]),
                            hbar=hbar)
        s0 = math.sqrt(hbar / (2 * m * omega))
        psi0 = pmc.states.GaussianWavepacket(x0=x0, p0=0.0, sigma_x=s0, hbar=hbar)
        window = pmc.quantum.GaussianWindow(sigma_x=s0)
        # bins of a quarter of the window: the dephasing packet shears into filaments thinner
        # than the bins, and the smoothing's error, (bin / window)^2, must not depend on hbar
        hx, hp = s0 / 4, window.momentum_length(hbar) / 4
        # the grid covers the quantum box and the momenta the packet reaches, so that no
        # smoothed weight falls outside it (pmc.compare warns otherwise): the classical turning
        # momentum sqrt(2 m U(x0)) plus six standard deviations of the smoothed momentum
        # density (packet and window, each hbar / (2 s0), added in quadrature)
        p_max = (math.sqrt(2 * m * c["a4"] * x0 ** 4)
                 + 6 * math.sqrt(2) * window.momentum_length(hbar))
        grid = pmc.PhaseSpaceGrid(x=np.arange(-4.0, 4.0 - hx / 2, hx),
                                  p=np.arange(-p_max, p_max + hp / 2, hp))
        q = pmc.quantum.simulate(H, psi0, grid=np.linspace(-4, 4, 1024, endpoint=False),
                                 t_end=c["t_end"], save_every=c["save_every"],
                                 dt=c["dt_quantum"])
        rho = pmc.quantum.envelope(q, grid, window, warn=False)
        runs = []
        for k in range(K):  # independent ensembles (spawned seeds)
            seed = np.random.SeedSequence(3, spawn_key=(i, k))
            sim = pmc.Simulation(H, pmc.sample(psi0, c["n"], seed=seed), dt=c["dt_markers"],
                                 grid=grid, observables=["f"], seed=k)
            runs.append(sim.run(c["t_end"], c["save_every"], progress=False))
        cmp = pmc.compare(runs, rho)
        s = cmp.noise_floor_spread.values * math.sqrt(1 + 2 / K)
        z = (cmp.distance.values - cmp.noise_floor.values) / s
        t = cmp.time.values
        td, _ = departure_time(t, z)
        excess = (cmp.distance.values - cmp.noise_floor.values) / math.sqrt(hbar)
        results.append(dict(hbar=hbar, t=t, z=z, distance=cmp.distance.values,
                            floor=cmp.noise_floor.values, t_d=td, z0=float(z[0]),
                            A=float(excess.mean()), sigma_A=float(s.mean() / math.sqrt(hbar)),
                            mean_x_z=np.abs(cmp.mean_x_difference.values
                                            / cmp.mean_x_difference_stderr.values)))

    hbars = np.array(c["hbars"])
    td = np.array([r["t_d"] for r in results])
    r1, r2 = results[-2], results[-1]
    fom = abs(r1["A"] - r2["A"]) / math.hypot(r1["sigma_A"], r2["sigma_A"])
    start_ok = bool(all(r["z0"] <= TOLERANCE for r in results))
    departs = bool(np.all(np.isfinite(td)))
    later = bool(td[-1] > td[0])
    passed = fom <= TOLERANCE and start_ok and departs and later
    with np.errstate(divide="ignore", invalid="ignore"):
        exponents = -np.log(td[1:] / td[:-1]) / np.log(hbars[1:] / hbars[:-1])

    t = results[0]["t"]
    out = xr.Dataset(
        {"z": (("hbar", "time"), np.array([r["z"] for r in results]),
               {"units": "1", "long_name": "(distance - noise floor) / noise scatter"}),
         "distance": (("hbar", "time"), np.array([r["distance"] for r in results]),
                      {"units": "1", "long_name": "total variation distance"}),
         "noise_floor": (("hbar", "time"), np.array([r["floor"] for r in results]),
                         {"units": "1", "long_name": "noise floor"}),
         "departure_time": ("hbar", td, {"units": "s", "long_name": "departure time t_d"})},
        coords={"hbar": ("hbar", hbars, {"units": "J s", "long_name": "hbar"}),
                "time": ("time", t, {"units": "s", "long_name": "time"})},
        attrs={"case": NAME, "quick": int(quick), "n_markers_per_ensemble": c["n"],
               "ensembles": K, "figure_of_merit": "z of the sqrt(hbar) collapse at the two "
                                                  "smallest hbar",
               "tolerance": TOLERANCE, "passed": int(passed), "pmc_version": pmc.__version__})
    out.to_netcdf(outdir / f"{NAME}.nc")
    _figure(out, outdir / f"{NAME}.png")
    return Verdict(
        name=NAME, figure_of_merit="|A(hbar_1) - A(hbar_2)| / stderr at the two smallest hbar, "
                                   "A = time-averaged (D - F) / sqrt(hbar)",
        value=fom, tolerance=TOLERANCE, passed=passed,
        details={"hbar": hbars, "departure_time": td, "local_exponent": exponents,
                 "agree_at_t0": start_ok, "z_at_t0": [r["z0"] for r in results],
                 "departs_for_every_hbar": departs,
                 "departure_later_at_smallest_than_largest_hbar": later,
                 "A": [r["A"] for r in results], "sigma_A": [r["sigma_A"] for r in results],
                 "max_abs_z_mean_x": [float(r["mean_x_z"].max()) for r in results],
                 "excess_distance_over_sqrt_hbar_at_t_0.5": [
                     float((r["distance"][4] - r["floor"][4]) / math.sqrt(r["hbar"]))
                     for r in results],
                 "n_markers_per_ensemble": c["n"], "ensembles": K})


def _figure(ds, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(16, 4.6))
    t = ds.time.values
    for j, h in enumerate(ds.hbar.values):
        col = f"C{j}"
        axes[0].plot(t, ds.z[j], "o-", ms=3, color=col, label=f"hbar = {h:g}")
        td = float(ds.departure_time[j])
        if math.isfinite(td):
            axes[0].axvline(td, color=col, lw=0.8, ls=":")
        excess = (ds.distance[j] - ds.noise_floor[j]) / math.sqrt(h)
        axes[1].plot(t, excess, "-", color=col, label=f"hbar = {h:g}")
    axes[0].axhline(TOLERANCE, color="r", lw=0.8)
    axes[0].set_yscale("symlog", linthresh=5)
    axes[0].set_xlabel("t")
    axes[0].set_title("(D - F) / s: at the noise floor, then departure (dotted: t_d)")
    axes[0].legend(fontsize=8)
    axes[1].set_xlabel("t")
    axes[1].set_title("(D - F) / sqrt(hbar): first-order Moyal collapse")
    axes[1].legend(fontsize=8)
    h = ds.hbar.values
    td = ds.departure_time.values
    ok = np.isfinite(td)
    axes[2].plot(h[ok], td[ok], "ko-", label="departure time t_d")
    if ok.any():
        ref = td[ok][0] * (h[ok] / h[ok][0]) ** -0.5
        axes[2].plot(h[ok], ref, "k:", label="~ hbar^(-1/2)")
    axes[2].set_xscale("log")
    axes[2].set_yscale("log")
    axes[2].set_xticks(h, [f"{v:g}" for v in h])
    axes[2].minorticks_off()
    axes[2].set_xlabel("hbar")
    axes[2].set_title(f"K = {ds.attrs['ensembles']} x N = {ds.attrs['n_markers_per_ensemble']}"
                      f" markers per hbar")
    axes[2].legend(fontsize=8)
    fig.suptitle("(3) quartic well U = x^4/4: markers vs Schrödinger (Husimi), departure against "
                 "hbar")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


if __name__ == "__main__":
    pmc.validate.script(run)
