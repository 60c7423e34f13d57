"""(40) The silicon n+-n-n+ diode of GNU Archimedes' example, self-consistent with Poisson, in one
dimension: equilibrium, the current-voltage curve from the contacts and from Ramo-Shockley, the
drift-diffusion limit at low bias, and velocity overshoot at high bias.

Device (Archimedes ``examples/DIODE/diode.input``, J. M. Sellier; the public copy
github.com/jmarini/archimedes-nitrides): silicon at 300 K, 1 um long, n+ (5e17 cm^-3) for
0.3 um, n (2e15 cm^-3) for 0.4 um, n+ for 0.3 um, ohmic contacts at both ends, the bias on the
right contact. Archimedes runs it in 2D (0.1 um wide, insulating sides, 100 x 25 mesh); nothing
varies across the width of that device, so this case runs it in 1D (1D3V markers, weights per
unit area): the physics is the same, the noise of the 2D run's transverse field is absent.
Differences from Archimedes' deck: the band is pmc's silicon in its single-valley Kane
approximation (``pmc.materials.get("Si").single_valley()``: conductivity mass 0.26 m_e,
alpha = 0.5 / eV, the Jacoboni-Reggiani acoustic and six intervalley phonons kept inside one
valley); Archimedes streams six ellipsoidal valleys, as case 41 (:mod:`si_diode_valleys`, this
module with ``valleys=True``) does. Its small acceptor background (1e14 cm^-3) is left out, as is impurity scattering,
which its deck does not switch on either.

Model: markers sampled at neutrality from the doping (:class:`pmc.devices.DopedEquilibrium`),
:class:`pmc.fields.Poisson` on 201 nodes (5 nm, below the n+ Debye length of 5.8 nm; CIC;
Dirichlet 0 and V at the contacts; the ionized donors as background), ohmic contacts
(:class:`pmc.Reservoir` with ``rule="neutral"``: the thermal flux of the n+ reservoir through
the wall, and the 5 nm contact cell brought back to the doping after every push, as Archimedes
and Fischetti-Laux keep their contacts neutral), dt = 1.5 fs (Archimedes' step;
omega_p dt = 0.034 in the n+ regions). Terminal currents: ``contact_current`` (charge
through each contact per frame interval) and ``ramo_current`` (instantaneous Ramo-Shockley);
time averages after a transient by batch means (:mod:`pmc.averages`, 10 batches).

Checks (each a ratio deviation / allowance; the figure of merit is the largest, tolerance 1):

1. Equilibrium (0 V): the current at the right contact, from the contacts and from
   Ramo-Shockley, is zero within 4 standard errors; the Fermi level
   phi - V_T ln n (n the time-averaged density in 10 nm bins, phi the time-averaged potential
   of the bin: with n ~ exp(phi / V_T) inside a bin, V_T ln of the bin average of
   exp(phi / V_T), phi interpolated between the nodes; in the junctions phi drops about V_T
   across a bin and its value at the centre would be off by a few mV) is flat: every bin within z_F standard errors (from the batch errors
   of n and of phi; bins with fewer than 20 markers on average are left out) of the
   error-weighted mean. The check is the largest of some 64 bins, each error from 10 batch
   means (a Student t with 9 degrees of freedom): 4 standard errors per bin would fail a
   correct model in 1 - (1 - P(|t_9| > 4))^64 = 18 % of the seeds, so z_F is the
   Bonferroni bound for a 1 % false alarm over the bins, the t_9 quantile at
   1 - 0.01 / (2 n_bins) (6.2 for 64 bins; scipy.stats.t).
2. At every bias the contact and Ramo-Shockley currents agree: the batch mean of their
   difference within 4 of its standard errors (the two contacts likewise sum to zero).
3. Drift-diffusion at low bias (full run: 0.1 V and 0.25 V): :func:`pmc.devices.drift_diffusion` with the
   model's own low-field mobility mu_0 (a bulk run of the same band and phonons at 1 kV/cm) and
   the Einstein relation. Allowance: 4 standard errors of the Monte Carlo current (and of mu_0)
   plus the model difference, the relative drop of the bulk mobility between 1 kV/cm and the
   largest field of the drift-diffusion solution in the centre of the n region (0.4-0.6 um,
   where drift carries the current; measured by a second bulk run): drift-diffusion with a
   constant mobility cannot do better than that. (The built-in fields of the n+-n junctions
   are larger, but there drift and diffusion nearly cancel.) And the same drift-diffusion with
   the model's own bulk mobility mu(E) = v(E) / E (bulk runs at 1, 3, 10, 30 kV/cm,
   interpolated in log E, driven by the quasi-Fermi gradient), which removes that model
   difference: allowance 4 standard errors of the Monte Carlo current and of the bulk
   velocities (the largest relative error of the table), nothing else.
4. Velocity overshoot (full run, 2 V): the peak of the time-averaged mean velocity in the
   device against the bulk drift velocity at the peak field (a bulk run); shown in the figure,
   reported, not a pass criterion.

--quick: 5000 markers, 0 V and 1 V for 1.2 ps each (0.45 ps transient): checks 1 and 2 only.
"""
import time

import numpy as np
import xarray as xr
from scipy import stats

import pmc
import pmc.validate
from pmc.averages import batch_means
from pmc.devices import Doping, DopedEquilibrium, drift_diffusion
from pmc.units import K, e, epsilon_0, hbar
from pmc.validate import Verdict

NUMBER = 40
NAME = "si_diode"
TOLERANCE = 1.0
Z = 4.0  # standard errors allowed per check
#: family-wise false-alarm probability of the Fermi-level check over its bins
FERMI_FALSE_ALARM = 0.01
BATCHES = 10
LENGTH = 1.0e-6
DOPING = Doping([(0.0, 0.3e-6, 5e23), (0.3e-6, 0.7e-6, 2e21), (0.7e-6, 1.0e-6, 5e23)])
TEMPERATURE = 300 * K
PERMITTIVITY = 11.7 * epsilon_0
NODES = 201
DT = 1.5e-15


def parameters(quick, valleys=False):
    """The run's sizes; ``valleys``: the multi-valley band (case 41) instead of the
    single-valley Kane approximation."""
    if quick:
        return dict(n=5000, biases=[0.0, 1.0], t_end=1.2e-12, start=0.45e-12, every=10,
                    dd_biases=[], overshoot=None, bulk_n=0, bulk_t=0.0, valleys=valleys)
    return dict(n=20_000, biases=[0.0, 0.1, 0.25, 0.5, 1.0, 2.0], t_end=5e-12, start=1.5e-12,
                every=20, dd_biases=[0.1, 0.25], overshoot=2.0, bulk_n=10_000, bulk_t=4e-12,
                valleys=valleys)


def _material(c):
    """(material, band): silicon with its six X valleys (``c["valleys"]``) or their
    single-valley Kane approximation."""
    mat = pmc.materials.get("Si", temperature=TEMPERATURE)
    return mat, (mat.band if c["valleys"] else mat.single_valley())


def _diode(c, bias, seed):
    """One bias: the run's dataset."""
    mat, band = _material(c)
    H = pmc.Hamiltonian(band, hbar=hbar)
    # the start: the Poisson-Boltzmann equilibrium (drift-diffusion at 0 V), which the n region
    # would otherwise reach only after its dielectric relaxation time (about 2 ps)
    eq = drift_diffusion(DOPING, mobility=0.1, temperature=TEMPERATURE,
                         permittivity=PERMITTIVITY, voltage=0.0, nodes=NODES)
    markers = pmc.sample(DopedEquilibrium(DOPING, band, TEMPERATURE,
                                          profile=(eq.x, eq.density)), c["n"], seed=seed)
    h = LENGTH / (NODES - 1)
    rule = c.get("rule", "neutral")
    left, right = DOPING.contacts(TEMPERATURE, weight=DOPING.total() / c["n"],
                                  cell=h if rule == "neutral" else None, rule=rule)
    nodes = np.linspace(0.0, LENGTH, NODES)
    boxes = np.concatenate([[0.0], 0.5 * (nodes[1:] + nodes[:-1]), [LENGTH]])
    field = pmc.fields.Poisson(0.0, LENGTH, NODES, boundary="dirichlet", charge=-e,
                               permittivity=PERMITTIVITY,
                               background=e * DOPING.cell_average(boxes), voltages=(0.0, bias))
    pth = np.sqrt(mat.single_valley().mass * TEMPERATURE)  # the grid's p range: any
    grid = pmc.PhaseSpaceGrid(x=(np.arange(100) + 0.5) * LENGTH / 100,
                              p=np.linspace(-200 * pth, 200 * pth, 3))
    sim = pmc.Simulation(H, markers, dt=DT, boundary=pmc.Injecting(0.0, LENGTH, left=left,
                                                                   right=right, charge=-e),
                         fields=[field], collisions=mat.collisions(),
                         cells=pmc.Cells((0.0,), (LENGTH,), (1,)), grid=grid,
                         observables=("density", "mean_velocity"), seed=seed)
    with pmc.threads.limited(numba_threads=1):
        save = c["every"] * DT
        return sim.run(round(c["t_end"] / save) * save, save)


def _bulk_velocity(field_v_per_m, c, seed):
    """(mean v_x, stderr) [m/s] of the bulk model at a field [V/m] (batch means)."""
    mat, band = _material(c)
    H = pmc.Hamiltonian(band, pmc.potentials.UniformField(-e * field_v_per_m), hbar=hbar)
    eq = DopedEquilibrium(Doping.uniform(0.0, 1.0, 1.0), band, TEMPERATURE)
    sim = pmc.Simulation(H, pmc.sample(eq, c["bulk_n"], seed=seed), dt=DT,
                         collisions=mat.collisions(), cells=pmc.Cells((-1e3,), (1e3,), (1,)),
                         seed=seed)
    steps = int(round(c["bulk_t"] / DT))
    transient = steps // 3
    v = []
    with pmc.threads.limited(numba_threads=1):
        sim.step(transient)
        for _ in range(100):
            sim.step((steps - transient) // 100)
            v.append(H.velocity(sim.markers.p, state=sim.markers.state)[:, 0].mean())
    m, s = batch_means(np.array(v), 10)
    return -float(m), float(s)  # electrons drift against the field: report along -E


def _steady(ds, start, n):
    w = ds.sel(time=ds.time >= start)
    out = {}
    for name in ("contact_current", "ramo_current"):
        out[name] = batch_means(w[name].values, BATCHES)
    out["difference"] = batch_means((w["contact_current"] - w["ramo_current"]).values, BATCHES)
    out["sum"] = batch_means(w["contact_current"].values.sum(axis=1), BATCHES)
    out["density"] = batch_means(w["density"].values, BATCHES)
    out["potential"] = batch_means(w["potential"].values, BATCHES)
    out["field"] = batch_means(w["electric_field"].values, BATCHES)
    out["velocity"] = batch_means(np.nan_to_num(w["mean_velocity"].values), BATCHES)
    out["markers_per_bin"] = out["density"][0] * (LENGTH / 100) / (DOPING.total() / n)
    return out


def run(quick, outdir, valleys=False):
    """The case; ``valleys``: with the multi-valley band (case 41, :mod:`si_diode_valleys`)."""
    c = parameters(quick, valleys)
    name = "si_diode_valleys" if valleys else NAME
    started = time.perf_counter()
    checks = {}
    rows = []
    profiles = {}
    for k, bias in enumerate(c["biases"]):
        ds = _diode(c, bias, seed=40 + k)
        s = _steady(ds, c["start"], c["n"])
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
        if bias == 0.0:
            checks["equilibrium_contact_current"] = abs(ic[1]) / (Z * ic_s[1])
            checks["equilibrium_ramo_current"] = abs(ir[1]) / (Z * ir_s[1])
            checks["equilibrium_fermi_level"] = _fermi_check(s)
    details = {"iv": rows}
    dd = []
    if c["dd_biases"]:
        mu_field = 1e5  # 1 kV/cm
        v0, v0_s = _bulk_velocity(mu_field, c, seed=90)
        mu0, mu0_s = v0 / mu_field, v0_s / mu_field
        details["mobility_cm2_per_Vs"] = [mu0 * 1e4, mu0_s * 1e4]
        # the model's bulk v(E) for a drift-diffusion with a field-dependent mobility (reported
        # beside the check): 1, 3, 10, 30 kV/cm, saturated beyond
        table_e = np.array([1e5, 3e5, 1e6, 3e6])
        bulk = [_bulk_velocity(f, c, seed=93 + k) for k, f in enumerate(table_e[1:])]
        table_v = np.array([v0] + [b[0] for b in bulk])
        table_rel = max([mu0_s / mu0] + [b[1] / b[0] for b in bulk])
        details["bulk_velocity_table"] = {"field_V_per_m": table_e.tolist(),
                                          "velocity_m_per_s": table_v.tolist()}

        def mobility_of(field):
            f = np.maximum(np.asarray(field, dtype=np.float64), table_e[0])
            v = np.interp(np.log(f), np.log(table_e), table_v)
            return np.where(field <= table_e[0], mu0, v / f)
        for bias in c["dd_biases"]:
            sol = drift_diffusion(DOPING, mobility=mu0, temperature=TEMPERATURE,
                                  permittivity=PERMITTIVITY, voltage=bias, nodes=801)
            mid = (sol.x[1:] + sol.x[:-1]) / 2
            inner = (mid > 0.4e-6) & (mid < 0.6e-6)  # drift-dominated: away from the junctions
            emax = float(np.max(np.abs(sol.field[inner])))
            vmax, vmax_s = _bulk_velocity(emax, c, seed=91)
            model = abs(1.0 - (vmax / emax) / mu0)
            j_dd = -sol.current  # into the device at the right contact
            row = next(r for r in rows if r["bias_V"] == bias)
            j_mc, j_s = row["ramo_A_per_m2"], row["ramo_stderr"]
            allowance = Z * np.hypot(j_s, abs(j_dd) * mu0_s / mu0) + model * abs(j_dd)
            checks[f"drift_diffusion_mu0_{bias:g}V"] = abs(j_mc - j_dd) / allowance
            j_field = -drift_diffusion(DOPING, mobility=mobility_of, temperature=TEMPERATURE,
                                       permittivity=PERMITTIVITY, voltage=bias,
                                       nodes=401).current
            allowance_field = Z * np.hypot(j_s, abs(j_field) * table_rel)
            checks[f"drift_diffusion_muE_{bias:g}V"] = abs(j_mc - j_field) / allowance_field
            dd.append({"bias_V": bias, "dd_A_per_m2": j_dd, "mc_A_per_m2": j_mc,
                       "dd_field_dependent_A_per_m2": j_field,
                       "allowance_field_dependent": allowance_field,
                       "mc_stderr": j_s, "dd_max_field_V_per_m": emax,
                       "model_difference": model, "allowance": allowance})
        details["drift_diffusion"] = dd
    if c["overshoot"] is not None:
        s = profiles[c["overshoot"]]
        v = s["velocity"][0]  # electrons move to +x
        x = (np.arange(100) + 0.5) * LENGTH / 100
        k = int(np.argmax(v))
        e_nodes = np.linspace(0.0, LENGTH, NODES)
        e_peak = float(np.abs(np.interp(x[k], e_nodes, s["field"][0])))
        vb, vb_s = _bulk_velocity(e_peak, c, seed=92)
        details["overshoot"] = {"peak_velocity_m_per_s": float(v[k]), "at_x_m": float(x[k]),
                                "field_there_V_per_m": e_peak, "bulk_velocity_m_per_s": vb,
                                "bulk_stderr": vb_s, "ratio": float(v[k]) / vb}
    fom = float(max(checks.values()))
    passed = fom <= TOLERANCE
    details["checks"] = {k: float(v) for k, v in checks.items()}
    details["seconds"] = round(time.perf_counter() - started, 1)
    details["band"] = ("multi-valley (six X valleys, Material.band)" if valleys
                       else "single-valley Kane (Material.single_valley())")
    _write(outdir, name, c, rows, profiles, dd, details)
    return Verdict(name=name, figure_of_merit="max over checks of deviation / allowance "
                   "(equilibrium current and Fermi level, contact vs Ramo-Shockley, "
                   "drift-diffusion at low bias)", value=fom, tolerance=TOLERANCE,
                   passed=passed, details=details)


def _fermi_check(s, nodes=NODES):
    """Largest |phi_F - mean| / (z_F stderr) over the bins with >= 20 markers (z_F: the
    module docstring, check 1); the potential on ``nodes`` equally spaced nodes."""
    (n, n_s), (phi, phi_s) = s["density"], s["potential"]
    x = (np.arange(100) + 0.5) * LENGTH / 100
    vt = TEMPERATURE / e
    nodes = np.linspace(0.0, LENGTH, nodes)
    # the potential that goes with a bin's mean density: n ~ exp(phi / V_T) inside the bin, so
    # V_T ln <exp(phi / V_T)>_bin, not phi at the centre (the two differ by a few mV in the
    # junctions, where phi drops ~1 V_T per bin: Jensen's inequality)
    h = LENGTH / 100
    sub = x[:, np.newaxis] + h * ((np.arange(40) + 0.5) / 40 - 0.5)[np.newaxis, :]
    u = np.interp(sub, nodes, phi) / vt
    top = u.max(axis=1)
    phi_b = vt * (top + np.log(np.mean(np.exp(u - top[:, np.newaxis]), axis=1)))
    phi_bs = np.interp(x, nodes, phi_s)
    ok = (s["markers_per_bin"] >= 20) & (n > 0)
    phi_f = phi_b[ok] - vt * np.log(n[ok])
    err = np.hypot(vt * n_s[ok] / n[ok], phi_bs[ok])
    wts = 1.0 / err ** 2
    mean = np.sum(wts * phi_f) / np.sum(wts)
    s["fermi"] = (x, np.where(ok, phi_b - vt * np.log(np.where(n > 0, n, 1.0)), np.nan),
                  np.where(ok, np.hypot(vt * n_s / np.where(n > 0, n, 1.0), phi_bs), np.nan),
                  mean)
    z_f = stats.t.ppf(1.0 - FERMI_FALSE_ALARM / (2 * phi_f.size), BATCHES - 1)
    return float(np.max(np.abs(phi_f - mean) / (z_f * err)))


def _write(outdir, name, c, rows, profiles, dd, details):
    x = (np.arange(100) + 0.5) * LENGTH / 100
    biases = np.array([r["bias_V"] for r in rows])
    data = {
        "contact_current": ("bias", [r["contact_A_per_m2"] for r in rows],
                            {"units": "A/m2", "long_name": "current into the right contact "
                             "(contact fluxes)"}),
        "contact_current_stderr": ("bias", [r["contact_stderr"] for r in rows], {"units": "A/m2"}),
        "ramo_current": ("bias", [r["ramo_A_per_m2"] for r in rows],
                         {"units": "A/m2", "long_name": "current into the right contact "
                          "(Ramo-Shockley)"}),
        "ramo_current_stderr": ("bias", [r["ramo_stderr"] for r in rows], {"units": "A/m2"}),
        "density": (("bias", "x"), [profiles[b]["density"][0] for b in biases],
                    {"units": "1/m3", "long_name": "time-averaged electron density"}),
        "density_stderr": (("bias", "x"), [profiles[b]["density"][1] for b in biases],
                           {"units": "1/m3"}),
        "mean_velocity": (("bias", "x"), [profiles[b]["velocity"][0] for b in biases],
                          {"units": "m/s", "long_name": "time-averaged mean velocity"}),
        "potential": (("bias", "field_x"), [profiles[b]["potential"][0] for b in biases],
                      {"units": "V"}),
    }
    ds = xr.Dataset(data, coords={"bias": ("bias", biases, {"units": "V"}),
                                  "x": ("x", x, {"units": "m"}),
                                  "field_x": ("field_x", np.linspace(0, LENGTH, NODES),
                                              {"units": "m"})},
                    attrs={"case": name, "quick": int(c["n"] < 10_000),
                           "band": details["band"]})
    if dd:
        ds.attrs["drift_diffusion"] = str(dd)
    ds.to_netcdf(outdir / f"{name}.nc")
    _figure(ds, profiles, details, outdir / f"{name}.png")


def _figure(ds, profiles, details, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(10, 7.5))
    ax = axes[0, 0]
    _currents_panel(ax, ds, "")
    for k, row in enumerate(details.get("drift_diffusion", [])):
        ax.plot(row["bias_V"], row["dd_A_per_m2"] / 1e4, "k*", ms=12,
                label="drift-diffusion, mu_0" if k == 0 else None)
        ax.plot(row["bias_V"], row["dd_field_dependent_A_per_m2"] / 1e4, "kx", ms=10,
                label="drift-diffusion, bulk mu(E)" if k == 0 else None)
    ax.set_xlabel("bias [V]")
    ax.set_ylabel("current density [A/cm$^2$]")
    ax.legend()
    ax = axes[0, 1]
    x_um = ds.x * 1e6
    for b in ds.bias.values:
        ax.semilogy(x_um, ds.density.sel(bias=b) * 1e-6, label=f"{b:g} V")
    ax.set_xlabel("x [um]")
    ax.set_ylabel("density [cm$^{-3}$]")
    ax.legend(fontsize=7)
    ax = axes[1, 0]
    for b in ds.bias.values:
        ax.plot(x_um, ds.mean_velocity.sel(bias=b) / 1e5, label=f"{b:g} V")
    if "overshoot" in details:
        o = details["overshoot"]
        ax.axhline(o["bulk_velocity_m_per_s"] / 1e5, color="k", ls="--",
                   label="bulk v at the peak field")
    ax.set_xlabel("x [um]")
    ax.set_ylabel("mean velocity [1e5 m/s]")
    ax.set_title("velocity overshoot")
    ax.legend(fontsize=7)
    _fermi_panel(axes[1, 1], profiles)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _currents_panel(ax, ds, prefix):
    """The contact and Ramo-Shockley current densities [A/cm^2] against the bias."""
    ax.errorbar(ds.bias, ds.contact_current / 1e4, yerr=ds.contact_current_stderr / 1e4,
                fmt="o", label=f"{prefix}contacts")
    ax.errorbar(ds.bias, ds.ramo_current / 1e4, yerr=ds.ramo_current_stderr / 1e4, fmt="s",
                mfc="none", label=f"{prefix}Ramo-Shockley")


def _fermi_panel(ax, profiles):
    """The equilibrium Fermi level minus its mean [mV] along x (check 1)."""
    eq = profiles.get(0.0)
    if eq is not None and "fermi" in eq:
        xf, phi_f, err, mean = eq["fermi"]
        ax.errorbar(xf * 1e6, (phi_f - mean) * 1e3, yerr=err * 1e3, fmt=".")
        ax.axhline(0.0, color="k")
    ax.set_xlabel("x [um]")
    ax.set_ylabel("Fermi level - mean [mV] (0 V)")


if __name__ == "__main__":
    pmc.validate.script(run)
