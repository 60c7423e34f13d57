"""(70) nano-archimedes' own example by signed-particle Wigner Monte Carlo, against the exact
Schrödinger density.

Setup (J. M. Sellier's nano-archimedes, 1D ballistic example, ``src-1D-ballistic``; public
copy github:borisov-r/nano-archimedes): GaAs, m* = 0.067 m_e; a +0.3 eV barrier on [97, 103] nm
of a [0, 200] nm box with absorbing ends; a minimum-uncertainty Gaussian with |psi|^2 std
7.0711 nm at 68.5 nm and k0 = 0.376991 nm^-1 (E = 81 meV, far below the barrier); time steps of
0.01 fs to 40 fs. The whole barrier is the fast part: the markers fly freely and the barrier acts
only through its Wigner potential (coherence length 50 nm, as nano-archimedes; momentum
transfers up to 1.6 nm^-1 hbar), with the mechanism's default annihilation: cells of
pi / (8 * 1.6) nm by dq = pi hbar / 50 nm, pure cancellation every 49 steps (the default:
gamma_max dt 49 <= 1/4).

Sizes can be changed for exploration through the environment: WN (markers per replica), WB
(budget), WR (replicas), WL (coherence length, nm), WP (momentum domain, hbar/nm), WK (q_max, hbar/nm), WT (times, fs,
comma-separated), WDP (annihilation cell in p, in units of dq; 0: the default dq), WLAT=1
(the packet's momenta on the lattice), WE (annihilate every WE steps; default the
mechanism's, 49 here), WDX (annihilation cell in x in units of pi hbar / (2 q_max); default the
mechanism's pi hbar / (8 q_max)).

Reference: the split-operator Schrödinger solution (pmc.quantum) of the same potential on 4096
points of [-100, 300] nm with absorbers outside the box, binned on the markers' 2 nm bins.

Figure of merit: chi^2 per bin of the markers' density against the reference at 10, 20, 30
and 40 fs, the mean over R independent replicas against its standard error,
whose variance is pooled over 5 neighbouring bins (nu = 5 (R - 1) degrees of freedom), over the
bins where the reference holds 99.9 % of the probability; tolerance: the mean of a squared
Student t with nu degrees of freedom, nu / (nu - 2), plus four standard deviations of the mean
of dof of them. The details give the L1 distance of the densities (nano-archimedes, run on
this example, ends 0.31 from the exact density at 40 fs), its noise floor, and the transmitted
probability (x > 103 nm plus the absorbed) against the exact one.
"""
import math
import pathlib
import time

import numpy as np
import xarray as xr

import pmc
import pmc.validate
from pmc.validate import Verdict

wc = pmc.validate.helper(__file__, "_wigner_cases")

NUMBER = 70
NAME = "wigner_nano_archimedes"
nm, fs, eV = wc.nm, wc.fs, wc.eV


def parameters(quick):
    import os
    return dict(n=int(os.environ.get("WN", 15000 if quick else 100000)),
                budget=int(os.environ.get("WB", 75000 if quick else 3000000)),
                replicas=int(os.environ.get("WR", 3 if quick else 4)), k_max=float(os.environ.get("WK", 1.6)),
                coherence=float(os.environ.get("WL", 50.0)),
                p_domain=float(os.environ.get("WP", 1.6)),
                times=[float(t) for t in os.environ.get("WT", "10,20,30,40").split(",")],
                bin=2.0, a_dp=float(os.environ.get("WDP", 0.0)),
                lattice=bool(int(os.environ.get("WLAT", 0))),
                every=int(os.environ["WE"]) if "WE" in os.environ else None,
                a_dx=float(os.environ.get("WDX", 0.0)))


def run(quick, outdir):
    outdir = pathlib.Path(outdir)
    c = parameters(quick)
    hb = pmc.units.hbar
    m = 0.067 * pmc.units.m_e
    Uf = wc.rectangular_barrier(0.3 * eV, 97 * nm, 103 * nm)
    H0 = pmc.Hamiltonian(pmc.bands.Parabolic(mass=m), pmc.potentials.Zero(), hbar=hb)
    Hq = pmc.Hamiltonian(pmc.bands.Parabolic(mass=m), Uf, hbar=hb)
    psi0 = pmc.states.GaussianWavepacket(x0=68.5 * nm, p0=hb * 0.376991 / nm,
                                         sigma_x=7.0711 * nm, hbar=hb)
    times = [t * fs for t in c["times"]]
    xq, dens_q, abs_q, _ = wc.quantum(Hq, psi0, 0.0, 200 * nm, times)
    edges = np.arange(0.0, 200.0 + c["bin"] / 2, c["bin"]) * nm
    h = edges[1] - edges[0]
    ref = wc.bin_quantum(xq, dens_q, edges)
    hq = xq[1] - xq[0]
    T_q = np.array([dens_q[k][xq > 103 * nm].sum() * hq + abs_q[k] for k in range(len(times))])
    wp = pmc.collisions.WignerPotential(Uf, 0.0, 200 * nm, q_max=hb * c["k_max"] / nm,
                                        coherence_length=c["coherence"] * nm,
                                        budget=c["budget"], every=c["every"],
                                        p_max=hb * c["p_domain"] / nm,
                                        annihilation_dp=(c["a_dp"] * math.pi * hb / (c["coherence"] * nm)
                                                         if c["a_dp"] else None),
                                        annihilation_dx=(c["a_dx"] * math.pi / (2 * c["k_max"]) * nm
                                                         if c["a_dx"] else None))
    cells = pmc.Cells.from_grid(pmc.PhaseSpaceGrid(x=np.linspace(0, 200 * nm, 3),
                                                   p=np.linspace(-1e-24, 1e-24, 3)))
    R = c["replicas"]
    dens = np.zeros((R, len(times), edges.size - 1))
    T = np.zeros((R, len(times)))
    counts = np.zeros((R, len(times)), np.int64)
    t0 = time.perf_counter()
    steps = 0
    for r in range(R):
        mk = wc.signed_markers(psi0, c["n"], seed=np.random.SeedSequence(70, spawn_key=(r,)),
                               dq=wp.lattice(hb)[1] if c["lattice"] else None)
        sim = pmc.Simulation(H0, mk, dt=0.01 * fs, boundary=pmc.Absorbing(0.0, 200 * nm),
                             collisions=[wp], cells=cells, seed=r)
        for k, t in enumerate(times):
            n_steps = int(round((t - sim.time) / sim.dt))
            steps += n_steps * sim.markers.n
            sim.step(n_steps)
            dens[r, k] = wc.marker_density(sim.markers, edges)
            T[r, k] = float(np.sum(sim.markers.w[sim.markers.x > 103 * nm])) + sim._absorbed[1]
            counts[r, k] = sim.markers.n
    seconds = time.perf_counter() - t0
    mean, err = wc.replica_statistics(dens)
    T_mean, T_err = wc.replica_statistics(T)
    value, tol, dof, rows = wc.density_chi2(mean, err, ref, h, R)
    for k, row in enumerate(rows):
        row.update(T=T_mean[k], T_stderr=T_err[k], T_exact=T_q[k],
                   markers=float(counts[:, k].mean()))
    passed = bool(value <= tol)
    table = {key: np.array([r[key] for r in rows]) for key in rows[0]}
    out = xr.Dataset(
        {**{key: ("time", v) for key, v in table.items()},
         "density_markers": (("time", "x"), mean), "density_stderr": (("time", "x"), err),
         "density_exact": (("time", "x"), ref)},
        coords={"time": ("time", np.array(times), {"units": "s"}),
                "x": ("x", 0.5 * (edges[1:] + edges[:-1]), {"units": "m"})},
        attrs={"case": NAME, "quick": int(quick), "figure_of_merit": "chi2 per bin",
               "tolerance": tol, "passed": int(passed), "replicas": R,
               "markers_initial": c["n"], "budget": c["budget"],
               "marker_steps_per_s": steps / seconds, "pmc_version": pmc.__version__})
    out.to_netcdf(outdir / f"{NAME}.nc")
    _figure(out, outdir / f"{NAME}.png")
    return Verdict(name=NAME, figure_of_merit="chi^2 per bin of the density vs Schrödinger",
                   value=value, tolerance=tol, passed=passed,
                   details={**{key: v for key, v in table.items()},
                            "times_fs": np.array(c["times"]), "dof": dof,
                            "marker_steps_per_s": steps / seconds,
                            "nano_archimedes_L1_at_40fs": 0.31})


def _figure(ds, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    fig, axes = plt.subplots(1, ds.time.size, figsize=(3.6 * ds.time.size, 3.2), sharey=True)
    x = ds.x.values / nm
    for ax, k in zip(np.atleast_1d(axes), range(ds.time.size)):
        ax.plot(x, ds.density_exact[k] * nm, "k-", lw=1, label="Schrödinger")
        ax.errorbar(x, ds.density_markers[k] * nm, 2 * ds.density_stderr[k] * nm, fmt=".",
                    ms=2, lw=0.6, color="C3", label="signed markers")
        ax.axvspan(97, 103, color="0.85")
        ax.set_title(f"t = {float(ds.time[k]) / fs:.0f} fs")
        ax.set_xlabel("x [nm]")
    np.atleast_1d(axes)[0].set_ylabel("density [1/nm]")
    np.atleast_1d(axes)[0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    import pmc.validate
    pmc.validate.script(run)
