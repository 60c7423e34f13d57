"""The driver: schema, netCDF round trip, incremental writing, checkpoint/resume after SIGKILL,
the collision interface's Strang splitting, and refusal of bad input and non-finite states."""
import pathlib
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
import xarray as xr

import pmc
from pmc import bands, config, potentials as P
from pmc.collisions import Collision, JumpOperator


def _setup(n=2000, seed=1):
    H = pmc.Hamiltonian(bands.Parabolic(mass=1.0), P.GaussianBarrier(1.0, 2.0))
    psi = pmc.states.GaussianWavepacket(x0=-8.0, p0=1.5, sigma_x=1.0)
    markers = pmc.sample(psi, n=n, seed=seed)
    grid = pmc.PhaseSpaceGrid(x=np.linspace(-15, 15, 61), p=np.linspace(-3, 3, 31))
    return H, markers, grid


def _sim(**kw):
    H, markers, grid = _setup()
    args = dict(dt=0.05, grid=grid, boundary=pmc.Absorbing(-15.0, 15.0), seed=3)
    args.update(kw)
    return pmc.Simulation(H, markers, **args)


def test_dataset_schema_and_provenance():
    ds = _sim(observables=pmc.simulation.OBSERVABLES).run(4.0, 1.0, progress=False)
    assert ds.sizes["time"] == 5
    assert ds["f"].dims == ("time", "x", "p")
    for name in ("density", "current", "energy_density", "mean_velocity", "temperature"):
        assert ds[name].dims == ("time", "x")
        assert f"{name}_stderr" in ds
    for name in ("n_markers", "total_weight", "energy"):
        assert ds[name].dims == ("time",)
    assert ds["momentum"].dims == ("time", "component")
    assert ds["absorbed"].dims == ("time", "side")
    assert list(ds["mechanism"].values) == ["total"]
    for name, var in {**ds.data_vars, **ds.coords}.items():
        if name in ("component", "side", "contact", "mechanism"):
            continue
        assert "units" in var.attrs and "long_name" in var.attrs, name
    for key in ("case", "seed", "pmc_version", "created"):
        assert key in ds.attrs
    assert 'model = "GaussianBarrier"' in ds.attrs["case"]
    # the conserved total: weight inside plus weight absorbed
    np.testing.assert_allclose(ds.total_weight + ds.absorbed.sum("side"), 1.0, rtol=1e-12)


def test_observables_never_change_shape_with_other_options():
    a = _sim(observables=["density"]).run(1.0, 0.5, progress=False)
    b = _sim(observables=["density"], boundary=None, scheme="yoshida4").run(1.0, 0.5,
                                                                           progress=False)
    assert set(a.data_vars) == set(b.data_vars)
    assert all(a[v].dims == b[v].dims for v in a.data_vars)


def test_netcdf_round_trip_equals_the_in_memory_result(tmp_path):
    out = tmp_path / "run.nc"
    on_disk = _sim().run(3.0, 1.0, output=out, progress=False)
    in_memory = _sim().run(3.0, 1.0, progress=False)
    reread = pmc.open_dataset(out)
    xr.testing.assert_identical(on_disk, reread)
    xr.testing.assert_equal(in_memory, reread)  # values, dims, coords (not the creation time)
    for name in in_memory.data_vars:
        assert in_memory[name].attrs == reread[name].attrs or name in ("mean_velocity",)


def test_existing_output_is_not_overwritten(tmp_path):
    out = tmp_path / "run.nc"
    out.write_text("precious")
    with pytest.raises(FileExistsError, match="overwrite"):
        _sim().run(1.0, 1.0, output=out, progress=False)
    assert out.read_text() == "precious"
    _sim().run(1.0, 1.0, output=out, progress=False, overwrite=True)
    assert pmc.open_dataset(out).sizes["time"] == 2


def test_unwritable_output_is_reported_before_the_run(tmp_path):
    sim = _sim()
    with pytest.raises(ValueError, match="does not exist"):
        sim.run(1.0, 1.0, output=tmp_path / "missing" / "run.nc", progress=False)
    assert sim.step_count == 0
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    with pytest.raises(ValueError, match="does not exist"):
        sim.run(1.0, 1.0, output=blocker / "run.nc", progress=False)


def test_non_finite_state_stops_the_run_and_keeps_the_file(tmp_path):
    # leapfrog is unstable for omega dt > 2: the orbit grows by ~2.6 per step until overflow
    H = pmc.Hamiltonian(bands.Parabolic(), P.Harmonic(omega=3.0))
    sim = pmc.Simulation(H, pmc.Markers(x=[1.0], p=[0.0]), dt=1.0)
    out = tmp_path / "blowup.nc"
    with pytest.raises(FloatingPointError, match="step"):
        sim.run(2000.0, 100.0, output=out, progress=False)
    ds = pmc.open_dataset(out)
    assert 1 <= ds.sizes["time"] < 21
    assert np.all(np.isfinite(ds.energy.values))


class _Jumps(JumpOperator):
    """The prepared test mechanisms: their ``jump(markers)`` every step."""

    def collide(self, markers, dt, seed, step):
        return self.mechanism.jump(markers)


class _TestMechanism(Collision):
    def prepare(self, hamiltonian, cells, markers):
        return _Jumps(self, hamiltonian, cells)


class _Reverse(_TestMechanism):
    """Test mechanism: every marker's momentum is reversed (one event per marker)."""

    name = "reverse"

    def jump(self, markers):
        markers.momenta.T[...] *= -1.0
        return markers.n


def test_collisions_are_strang_split_between_half_pushes():
    """Half push, reverse every momentum, half push: free markers end each step where they
    began (exactly, for dyadic numbers), which a first-order splitting would not do."""
    x0 = np.array([0.5, -1.25, 2.0])
    H = pmc.Hamiltonian(bands.Parabolic())
    sim = pmc.Simulation(H, pmc.Markers(x=x0, p=[1.0, 2.0, -0.5]), dt=0.25,
                         collisions=[_Reverse()], cells=pmc.Cells(-5.0, 5.0, 2))
    ds = sim.run(2.0, 0.5, progress=False)
    np.testing.assert_array_equal(sim.markers.x, x0)
    np.testing.assert_array_equal(ds.collisions.sel(mechanism="reverse")[1:], 3 * 2)
    np.testing.assert_array_equal(ds.collisions.sel(mechanism="total"),
                                  ds.collisions.sel(mechanism="reverse"))


class _Null(_TestMechanism):
    """Test mechanism: no event."""

    name = "null"

    def jump(self, markers):
        return 0


def test_composed_pushes_between_collisions_keep_second_order_in_time_dependent_fields():
    """Inside one step() call the trailing half push of a step and the leading one of the next
    are one push starting half a step late. In a parametrically driven oscillator (force
    modulated in time) the error against a fine reference must fall by 4 when dt halves: a
    push at the wrong time would leave a first-order error (a factor 2)."""
    U = pmc.potentials.Harmonic(omega=1.0) * pmc.potentials.Sinusoidal(
        amplitude=0.8, angular_frequency=2.3)
    H = pmc.Hamiltonian(bands.Parabolic(), U)
    start = pmc.Markers(x=[1.0, -0.5, 0.2], p=[0.0, 0.7, -1.1])
    t_end = 4.0

    def final(dt, collisions):
        sim = pmc.Simulation(H, start, dt=dt, collisions=collisions,
                             cells=pmc.Cells(-50.0, 50.0, 1))
        sim.step(round(t_end / dt))
        return np.concatenate([sim.markers.x, sim.markers.p])

    reference = final(t_end / 2**14, ())
    errors = [np.abs(final(t_end / k, [_Null()]) - reference).max() for k in (64, 128)]
    assert 3.5 < errors[0] / errors[1] < 4.5, errors


@pytest.mark.parametrize("collisions", [(), (_Null(),), (_Reverse(),)])
def test_a_prescribed_field_moves_the_markers_as_the_same_static_potential(collisions):
    """A field given as fields=[...] is added to the Hamiltonian's potential before every push:
    a prescribed uniform field gives bitwise the markers of the same static potential, with
    the pushes between collisions composed alike (within roundings where a static uniform
    field alone takes several steps in one call: push.linear_steps)."""
    F = P.UniformField(0.7)
    band = bands.Parabolic(mass=1.3)
    start = pmc.Markers(x=np.linspace(-1.0, 1.0, 7), p=np.linspace(0.5, -0.3, 7))
    U = P.Harmonic(omega=0.4)
    runs = []
    for H, fields in ((pmc.Hamiltonian(band, F), ()),
                      (pmc.Hamiltonian(band), (pmc.fields.Prescribed(F),)),
                      (pmc.Hamiltonian(band, U + F), ()),  # the field beside a static potential
                      (pmc.Hamiltonian(band, U), (pmc.fields.Prescribed(F),))):
        sim = pmc.Simulation(H, start, dt=0.1, collisions=collisions,
                             cells=pmc.Cells(-50.0, 50.0, 1), fields=fields)
        sim.step(5).step(3)
        runs.append(sim.markers)
    for static, field in ((runs[0], runs[1]), (runs[2], runs[3])):
        if static is runs[0] and not collisions:
            # the static field alone pushes step(5) as one affine map (push.linear_steps), the
            # prescribed one step by step: the same map with other roundings (~k eps)
            for a, b in ((field.positions, static.positions), (field.momenta, static.momenta)):
                np.testing.assert_allclose(a, b, rtol=0, atol=1e-13)
            continue
        np.testing.assert_array_equal(field.positions.T, static.positions.T)
        np.testing.assert_array_equal(field.momenta.T, static.momenta.T)
    assert not np.array_equal(runs[0].momenta.T, runs[2].momenta.T)


class _Counting(pmc.fields.Field):
    """Test field: no force; counts the pushes it is asked for and the times it is asked at."""

    name = "counting"

    def __init__(self, self_consistent):
        self.self_consistent = self_consistent

    def prepare(self, hamiltonian, cells, markers):
        op = pmc.fields.FieldOperator(self)
        op.self_consistent = self.self_consistent
        op.times = []
        op.potential = lambda markers, t: op.times.append(t) or P.Zero()
        op.state = lambda: {"calls": np.array([len(op.times)])}
        return op


@pytest.mark.parametrize("self_consistent", [False, True])
def test_fields_are_updated_before_every_push(self_consistent):
    """Without collisions one push per step; with them, the composed pushes of a Strang step
    (n + 1 pushes for step(n)), or two half pushes per step for a self-consistent field, whose
    potential depends on the markers and must be updated between them."""
    H = pmc.Hamiltonian(bands.Parabolic())
    start = pmc.Markers(x=[0.0, 1.0], p=[1.0, -1.0])
    free = pmc.Simulation(H, start, dt=0.5, fields=[_Counting(self_consistent)])
    free.step(4)
    assert free.field_operators[0].times == [0.0, 0.5, 1.0, 1.5]
    sim = pmc.Simulation(H, start, dt=0.5, fields=[_Counting(self_consistent)],
                         collisions=[_Null()], cells=pmc.Cells(-5.0, 5.0, 1))
    sim.step(4)
    times = sim.field_operators[0].times
    if self_consistent:
        assert times == [0.25 * k for k in range(8)]
    else:
        assert times == [0.0, 0.25, 0.75, 1.25, 1.75]
    assert sim._state_arrays()["field0_calls"][0] == len(times)
    with pytest.raises(ValueError, match="fields"):
        pmc.Simulation(H, start, dt=0.5, fields=[P.Zero()])


def test_step_and_function_form_agree_with_run():
    a = _sim()
    a.step(20).step(20)
    b = _sim()
    ds = b.run(2.0, 1.0, progress=False)
    np.testing.assert_array_equal(a.markers.x, b.markers.x)
    assert a.time == pytest.approx(2.0)
    H, markers, grid = _setup()
    ds2 = pmc.simulate(H, markers, dt=0.05, t_end=2.0, save_every=1.0, grid=grid,
                       boundary=pmc.Absorbing(-15.0, 15.0), seed=3)
    xr.testing.assert_equal(ds, ds2)
    # the caller's markers are never modified
    np.testing.assert_array_equal(markers.x, _setup()[1].x)


@pytest.mark.parametrize("kwargs, name", [
    (dict(dt=-0.1), "dt"), (dict(observables=["pressure"]), "observables"),
    (dict(scheme="euler"), "scheme"), (dict(collisions=[object()]), "collisions"),
    (dict(grid=pmc.PhaseSpaceGrid(x=np.linspace(0, 1, 3), y=np.linspace(0, 1, 3),
                                  p=np.linspace(0, 1, 3))), "dx"),
])
def test_bad_simulation_arguments_are_named(kwargs, name):
    with pytest.raises(ValueError, match=name):
        _sim(**kwargs)


@pytest.mark.parametrize("t_end, save_every, name", [(1.0, 0.07, "save_every"),
                                                      (1.1, 0.5, "t_end"), (1.0, -1.0,
                                                                            "save_every")])
def test_bad_run_arguments_are_named(t_end, save_every, name):
    with pytest.raises(ValueError, match=name):
        _sim().run(t_end, save_every, progress=False)


CASE = textwrap.dedent("""
    [run]
    dt = 0.02
    t_end = {t_end}
    save_every = 0.5
    seed = 11

    [dispersion]
    model = "Kane"
    mass = 1.0
    alpha = 0.2

    [potential]
    model = "GaussianBarrier"
    height = 1.0
    width = 2.0

    [distribution]
    model = "Maxwellian"
    n = {n}
    temperature = 0.7
    mass = 1.0
    x = [-20.0, 20.0]
    momentum_dims = 3

    [boundary]
    model = "Injecting"
    lo = -20.0
    hi = 20.0
    left = {{ density = 1.0, temperature = 0.7, mass = 1.0, weight = 1e-4 }}

    [grid]
    x = {{ start = -19.5, stop = 19.5, num = 40 }}
    p = {{ start = -3.0, stop = 3.0, num = 31 }}

    [output]
    checkpoint_every = 1
""")


def _write_case(path, t_end, n):
    path.write_text(CASE.format(t_end=t_end, n=n))
    return path


def test_kane_case_with_injection_injects_the_kane_equilibrium(tmp_path):
    """A reservoir emits the equilibrium of the run's Kane band (issue 17; once refused)."""
    out = tmp_path / "k.nc"
    r = _pmc("run", str(_write_case(tmp_path / "c.toml", 1.0, 100)), "-o", str(out), "--quiet")
    assert r.returncode == 0, r.stderr
    ds = pmc.open_dataset(out)
    assert float(ds["injected"].isel(time=-1, contact=0)) > 0
    assert "contact_current" in ds and "ramo_current" in ds


def _pmc(*args, **kw):
    return subprocess.run([sys.executable, "-m", "pmc", *args], capture_output=True, text=True,
                          **kw)


def test_resume_after_sigkill_is_bitwise_equal_to_an_uninterrupted_run(tmp_path):
    case = _write_case(tmp_path / "case.toml", 40.0, 100_000)
    text = case.read_text().replace('model = "Kane"\nmass = 1.0\nalpha = 0.2',
                                    'model = "Parabolic"\nmass = 1.0')
    case.write_text(text)
    whole, cut = tmp_path / "whole.nc", tmp_path / "cut.nc"
    r = _pmc("run", str(case), "-o", str(whole), "--quiet")
    assert r.returncode == 0, r.stderr
    # the same run, killed with SIGKILL once a few frames are on disk
    proc = subprocess.Popen([sys.executable, "-m", "pmc", "run", str(case), "-o", str(cut),
                             "--quiet"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 120
    frames = 0
    while time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
        ckpt = pathlib.Path(str(cut) + ".checkpoint.npz")
        if ckpt.exists():
            try:
                frames = pmc.open_dataset(cut).sizes["time"]
            except (OSError, KeyError, ValueError):
                continue
            if frames >= 5:
                break
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the run ended before it could be killed"
    partial = pmc.open_dataset(cut)  # readable after the kill, holding the frames so far
    assert 5 <= partial.sizes["time"] < 81
    r = _pmc("run", str(case), "-o", str(cut), "--resume", "--quiet")
    assert r.returncode == 0, r.stderr
    a, b = pmc.open_dataset(whole), pmc.open_dataset(cut)
    assert a.sizes["time"] == b.sizes["time"] == 81
    for name in a.variables:
        np.testing.assert_array_equal(a[name].values, b[name].values, err_msg=name)
    assert float(a.injected.sum()) > 0 and float(a.absorbed.sum()) > 0


def test_resume_refuses_a_different_simulation(tmp_path):
    out = tmp_path / "r.nc"
    _sim().run(1.0, 0.5, output=out, progress=False)
    with pytest.raises(ValueError, match="different simulation"):
        _sim(dt=0.025).run(2.0, 0.5, output=out, resume=True, progress=False)
    # the same simulation continues to a later time
    ds = _sim().run(2.0, 0.5, output=out, resume=True, progress=False)
    xr.testing.assert_equal(ds, _sim().run(2.0, 0.5, progress=False))
