"""Tests of pmc.quantum: the split-operator solver, the envelope projection, the Wigner function
and the like-with-like smoothing, each against an exact result.

Exact references used:
* Free Gaussian packet (GaussianWavepacket.psi(x, t)): width sigma(t) = sigma0 sqrt(1 + (hbar t /
  2 m sigma0^2)^2). The drift of the split-operator method is exact, so the only errors are the
  round-off and the periodic images (kept below 1e-15 by the box size).
* Quadratic H: the kick and the drift act on the operators x, p as linear maps, so <x>, <p> of the
  Strang split-operator state follow exactly the classical kick-drift-kick (leapfrog) map of the
  same dt (to round-off), and that map follows the exact orbit to O(dt^2): the leapfrog phase
  error after time t is omega^3 dt^2 t / 24, its orbit's shape error (omega dt)^2 / 4 (E. Hairer, C. Lubich and G. Wanner, Geometric
  Numerical Integration, Springer 2006, ch. I.1 and IX.3).
* Eckart barrier U = V0 / cosh^2(x/a): T(k) = sinh^2(pi k a) / (sinh^2(pi k a) +
  cosh^2(pi/2 sqrt(8 m V0 a^2 / hbar^2 - 1))) (L. D. Landau and E. M. Lifshitz, Quantum Mechanics,
  section 25, problem 4); a packet's transmitted probability is its average over |psi(p)|^2.
  The Strang error is second order: the Richardson extrapolation (4 T(dt/2) - T(dt)) / 3 is
  exact to O(dt^4).
* Husimi function of a Gaussian packet: the Wigner function (a Gaussian in phase space, sheared
  by the free flow) convolved with that of the window: a Gaussian whose covariance is the sum of
  the two covariances, normalised to 1.
* Wigner function of a Gaussian packet (GaussianWavepacket.wigner), and the marginal
  int W dp = |psi|^2 of any state.
"""
import math
import warnings

import numpy as np
import pytest
import xarray as xr
from scipy import integrate, special

import pmc
from pmc import bands, potentials as P
from pmc import quantum as Q

EST = dict(planner="estimate")  # tests plan without timing (bitwise repeatable, fast)


def _free(mass=1.0, hbar=1.0):
    return pmc.Hamiltonian(bands.Parabolic(mass=mass), hbar=hbar)


def _moments(q):
    dx = float(q.x[1] - q.x[0])
    n = q.density.sum("x") * dx
    mx = (q.density * q.x).sum("x") * dx / n
    var = (q.density * q.x ** 2).sum("x") * dx / n - mx ** 2
    return n.values, mx.values, np.sqrt(var.values)


def _leapfrog(x, p, force, dt, n, t0=0.0, m=1.0):
    """Classical kick-drift-kick orbit, the force F(x, t) evaluated at the kick times."""
    out = [(x, p)]
    t = t0
    for _ in range(n):
        p = p + 0.5 * dt * force(x, t)
        x = x + dt * p / m
        t = t + dt
        p = p + 0.5 * dt * force(x, t)
        out.append((x, p))
    return np.array(out)


# ============================================================================ solver
def test_free_gaussian_spreads_as_the_exact_packet():
    m, s0, hb = 1.5, 0.8, 1.0
    st = pmc.states.GaussianWavepacket(x0=-5.0, p0=1.2, sigma_x=s0, hbar=hb, mass=m)
    x = np.linspace(-40, 40, 1024, endpoint=False)
    q = Q.simulate(_free(m, hb), st, grid=x, t_end=8.0, save_every=2.0, dt=0.1, **EST)
    _, mx, width = _moments(q)
    t = q.time.values
    np.testing.assert_allclose(width, s0 * np.sqrt(1 + (hb * t / (2 * m * s0 ** 2)) ** 2),
                               rtol=1e-12)
    np.testing.assert_allclose(mx, -5.0 + 1.2 * t / m, rtol=0, atol=1e-11)
    for k, tk in enumerate(t):
        psi = q.psi_real[k].values + 1j * q.psi_imag[k].values
        np.testing.assert_allclose(psi, st.psi(x, tk), rtol=0, atol=1e-12)


def test_norm_is_conserved_to_round_off_without_absorber():
    H = pmc.Hamiltonian(bands.Parabolic(), P.GaussianBarrier(1.0, 2.0)
                        * P.Sinusoidal(amplitude=0.5, angular_frequency=0.7), hbar=1.0)
    st = pmc.states.GaussianWavepacket(x0=-10.0, p0=1.4, sigma_x=2.0)
    q = Q.simulate(H, st, grid=np.linspace(-60, 60, 1024, endpoint=False), t_end=20.0,
                   save_every=5.0, dt=0.02, **EST)
    norm0 = float(q.total_weight[0])
    assert abs(norm0 - 1.0) < 1e-12
    np.testing.assert_allclose(q.total_weight.values, norm0, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(q.absorbed.values, 0.0)


def test_coherent_state_follows_the_classical_orbit():
    """Harmonic well: <x>, <p> equal the leapfrog orbit of the same dt to round-off, the orbit
    is within the leapfrog phase error of the exact one, and the coherent state keeps its
    width (to the same order)."""
    w, m, hb, x0, p0 = 1.3, 0.7, 1.0, 3.0, -1.0
    H = pmc.Hamiltonian(bands.Parabolic(mass=m), P.Harmonic(omega=w, mass=m), hbar=hb)
    s0 = math.sqrt(hb / (2 * m * w))
    st = pmc.states.GaussianWavepacket(x0=x0, p0=p0, sigma_x=s0, hbar=hb)
    dt, n_per, n_save = 0.01, 50, 20
    q = Q.simulate(H, st, grid=np.linspace(-16, 16, 512, endpoint=False),
                   t_end=dt * n_per * n_save, save_every=dt * n_per, dt=dt, **EST)
    _, mx, width = _moments(q)
    mp = q.momentum.sel(component="px").values
    orbit = _leapfrog(x0, p0, lambda x, t: -m * w * w * x, dt, n_per * n_save, m=m)[::n_per]
    np.testing.assert_allclose(mx, orbit[:, 0], rtol=0, atol=1e-10)
    np.testing.assert_allclose(mp, orbit[:, 1], rtol=0, atol=1e-10)
    t = q.time.values
    amp = math.hypot(x0, p0 / (m * w))
    exact = x0 * np.cos(w * t) + p0 / (m * w) * np.sin(w * t)
    # leapfrog: frequency (2/dt) arcsin(w dt/2) = w (1 + (w dt)^2 / 24 + ...), and an invariant
    # ellipse whose momentum axis is scaled by sqrt(1 - (w dt)^2 / 4)
    bound = amp * ((w * dt) ** 2 / 4 + w ** 3 * dt ** 2 * t / 24)
    assert np.all(np.abs(mx - exact) <= bound + 1e-10)
    # the width oscillates at O((omega dt)^2) only
    np.testing.assert_allclose(width, s0, rtol=(w * dt) ** 2)


def test_time_dependent_potential_means_follow_the_leapfrog_map():
    hb, w = 1.0, 1.0
    mod = P.Sinusoidal(amplitude=0.5, angular_frequency=2.0, phase=0.3)
    H = pmc.Hamiltonian(bands.Parabolic(), P.Harmonic(omega=w) * mod, hbar=hb)
    st = pmc.states.GaussianWavepacket(x0=2.0, p0=0.5, sigma_x=0.6)
    dt, n = 0.02, 200
    q = Q.simulate(H, st, grid=np.linspace(-16, 16, 512, endpoint=False), t_end=0.5 + n * dt,
                   save_every=n * dt / 4, dt=dt, t0=0.5, **EST)

    def force(x, t):
        return -(1 + 0.5 * math.sin(2.0 * t + 0.3)) * w * w * x

    orbit = _leapfrog(2.0, 0.5, force, dt, n, t0=0.5)[::n // 4]
    _, mx, _ = _moments(q)
    np.testing.assert_allclose(mx, orbit[:, 0], rtol=0, atol=1e-10)
    np.testing.assert_allclose(q.momentum.sel(component="px").values, orbit[:, 1], rtol=0,
                               atol=1e-10)


def test_free_part_is_exact_for_any_dispersion():
    """n steps of dt equal one exact propagation exp(-i eps(hbar k) t / hbar), with eps written
    out here independently of pmc's kernels (tight-binding and Kane bands)."""
    hb = 1.0
    x = np.linspace(-30, 30, 512, endpoint=False)
    dx = x[1] - x[0]
    k = 2 * np.pi * np.fft.fftfreq(x.size, dx)
    st = pmc.states.GaussianWavepacket(x0=0.0, p0=0.8, sigma_x=1.5, hbar=hb)
    J, a, mass, alpha = 0.7, 0.9, 0.5, 0.3
    cases = [(bands.TightBinding(hopping=J, lattice_constant=a),
              2 * J * (1 - np.cos(k * a))),
             (bands.Kane(mass=mass, alpha=alpha),
              (-1 + np.sqrt(1 + 4 * alpha * (hb * k) ** 2 / (2 * mass))) / (2 * alpha))]
    for disp, eps in cases:
        H = pmc.Hamiltonian(disp, hbar=hb)
        q = Q.simulate(H, st, grid=x, t_end=6.0, save_every=6.0, dt=0.05, **EST)
        exact = np.fft.ifft(np.exp(-1j * eps * 6.0 / hb) * np.fft.fft(st.psi(x)))
        psi = q.psi_real[-1].values + 1j * q.psi_imag[-1].values
        np.testing.assert_allclose(psi, exact, rtol=0, atol=1e-11)


def test_eckart_transmission_matches_the_closed_form():
    V0, a, m, hb, p0 = 1.0, 1.0, 1.0, 1.0, 1.4
    H = pmc.Hamiltonian(bands.Parabolic(m), P.Eckart(height=V0, width=a), hbar=hb)
    st = pmc.states.GaussianWavepacket(x0=-40.0, p0=p0, sigma_x=5.0, hbar=hb)
    sp = st.sigma_p

    def T(p):
        s = np.sinh(np.pi * p / hb * a) ** 2
        return s / (s + np.cosh(0.5 * np.pi * math.sqrt(8 * m * V0 * a * a / hb ** 2 - 1)) ** 2)

    exact = integrate.quad(lambda p: T(p) * np.exp(-(p - p0) ** 2 / (2 * sp * sp))
                           / (sp * math.sqrt(2 * math.pi)), p0 - 12 * sp, p0 + 12 * sp,
                           epsabs=1e-14, epsrel=1e-13)[0]
    x = np.linspace(-100, 100, 2048, endpoint=False)
    trans = []
    for dt in (0.05, 0.025):
        q = Q.simulate(H, st, grid=x, t_end=60.0, save_every=60.0, dt=dt,
                       absorber=Q.Absorber(width=20.0), **EST).isel(time=-1)
        right = float(q.density.where(q.x > 0, 0.0).sum()) * (x[1] - x[0])
        trans.append(right + float(q.absorbed.sel(side="x_hi")))
        assert abs(float(q.total_weight + q.absorbed.sum()) - 1.0) < 1e-12
    richardson = (4 * trans[1] - trans[0]) / 3
    assert abs(richardson - exact) < 1e-6, (trans, exact)
    # and the error is second order: halving dt divides it by 4 (within 10 %)
    assert 3.6 < (trans[0] - exact) / (trans[1] - exact) < 4.4


def test_absorber_tallies_what_leaves_and_reflects_little():
    st = pmc.states.GaussianWavepacket(x0=0.0, p0=2.0, sigma_x=2.0)
    q = Q.simulate(_free(), st, grid=np.linspace(-40, 40, 1024, endpoint=False), t_end=60.0,
                   save_every=20.0, dt=0.05, absorber=Q.Absorber(width=15.0), **EST)
    total = q.total_weight + q.absorbed.sum("side")
    np.testing.assert_allclose(total.values, 1.0, rtol=0, atol=1e-12)
    end = q.isel(time=-1)
    # the packet (p0 / sigma_p = 8: no part moves left, and all of it with p > 0.75 has
    # crossed the right layer by t = 60, all but 3e-7) is gone; what came back from the layer
    # was absorbed at the left
    assert float(end.absorbed.sel(side="x_hi")) > 1.0 - 1e-6
    assert float(end.absorbed.sel(side="x_lo")) < 1e-6
    assert float(end.total_weight) < 1e-6


def test_two_dimensional_packet_is_the_product_of_one_dimensional_ones():
    m, hb = 1.0, 1.0
    sx, sy = 1.0, 0.7
    ax = pmc.states.GaussianWavepacket(x0=-1.0, p0=1.0, sigma_x=sx, mass=m)
    ay = pmc.states.GaussianWavepacket(x0=0.5, p0=-0.5, sigma_x=sy, mass=m)
    x = np.linspace(-16, 16, 128, endpoint=False)
    y = np.linspace(-20, 20, 128, endpoint=False)
    H = pmc.Hamiltonian(bands.Parabolic(mass=m), hbar=hb)
    q = Q.simulate(H, lambda X, Y: ax.psi(X) * ay.psi(Y), grid=(x, y), t_end=3.0, save_every=1.5,
                   dt=0.05, **EST)
    assert q.density.dims == ("time", "x", "y")
    for k, t in enumerate(q.time.values):
        exact = np.outer(abs(ax.psi(x, t)) ** 2, abs(ay.psi(y, t)) ** 2)
        np.testing.assert_allclose(q.density[k].values, exact, rtol=0, atol=1e-12)
    np.testing.assert_allclose(q.momentum.isel(time=-1).values, [1.0, -0.5], atol=1e-12)
    assert set(q.side.values) == {"x_lo", "x_hi", "y_lo", "y_hi"}
    assert "current_y" in q


def test_schema_units_and_netcdf_round_trip(tmp_path):
    H = pmc.Hamiltonian(bands.Parabolic(), P.GaussianBarrier(1.0, 2.0))
    st = pmc.states.GaussianWavepacket(x0=-5.0, p0=1.5, sigma_x=1.0)
    out = tmp_path / "q.nc"
    kw = dict(grid=np.linspace(-30, 30, 256, endpoint=False), t_end=2.0, save_every=1.0, dt=0.05,
              absorber=Q.Absorber(width=5.0, strength=2.0), planner="estimate")
    on_disk = Q.simulate(H, st, output=out, **kw)
    in_memory = Q.simulate(H, st, **kw)
    xr.testing.assert_identical(on_disk, pmc.open_dataset(out))
    xr.testing.assert_equal(in_memory, on_disk)
    for name in ("psi_real", "psi_imag", "density", "current"):
        assert on_disk[name].dims == ("time", "x")
    assert on_disk.absorbed.dims == ("time", "side")
    for name, var in {**on_disk.data_vars, **on_disk.coords}.items():
        if name in ("component", "side"):
            continue
        assert "units" in var.attrs and "long_name" in var.attrs, name
    for key in ("case", "pmc_version", "created", "seed", "hbar", "dt", "fft_backend"):
        assert key in on_disk.attrs
    assert 'model = "GaussianBarrier"' in on_disk.attrs["case"]
    with pytest.raises(FileExistsError):
        Q.simulate(H, st, output=out, **kw)
    # the probability current of a plane-wave-like packet is (hbar/m) Im(conj(psi) psi')
    psi = on_disk.psi_real[0].values + 1j * on_disk.psi_imag[0].values
    k = 2 * np.pi * np.fft.fftfreq(psi.size, float(on_disk.x[1] - on_disk.x[0]))
    dpsi = np.fft.ifft(1j * k * np.fft.fft(psi))
    np.testing.assert_allclose(on_disk.current[0].values, (np.conj(psi) * dpsi).imag,
                               atol=1e-12)


def test_steps_compose_whatever_the_save_interval():
    """The merged half kicks make step(160) equal step(64) + step(96) (to round-off), tallies
    too."""
    H = pmc.Hamiltonian(bands.Parabolic(), P.GaussianBarrier(1.0, 1.0)
                        * P.Sinusoidal(amplitude=0.3, angular_frequency=1.0), hbar=1.0)
    st = pmc.states.GaussianWavepacket(x0=-6.0, p0=2.0, sigma_x=1.0)
    kw = dict(grid=np.linspace(-12, 12, 256, endpoint=False), dt=0.05,
              absorber=Q.Absorber(width=4.0), **EST)
    a = Q.Simulation(H, st, **kw).step(160)
    b = Q.Simulation(H, st, **kw).step(64).step(96)
    np.testing.assert_allclose(a.psi, b.psi, rtol=0, atol=1e-13)
    np.testing.assert_allclose(a.absorbed, b.absorbed, rtol=0, atol=1e-13)
    assert a.absorbed[1] > 1e-3  # the layer did work
    norm0 = Q.Simulation(H, st, **kw).norm()  # 1 less the tails beyond the box (~1e-9)
    assert abs(a.norm() + a.absorbed.sum() - norm0) < 1e-12


def test_fallback_backend_gives_the_same_result():
    st = pmc.states.GaussianWavepacket(x0=-2.0, p0=1.0, sigma_x=1.0)
    H = pmc.Hamiltonian(bands.Parabolic(), P.GaussianBarrier(0.5, 1.0))
    kw = dict(grid=np.linspace(-20, 20, 256, endpoint=False), t_end=2.0, save_every=2.0, dt=0.05)
    a = Q.simulate(H, st, use_pyfftw=False, **kw)
    b = Q.simulate(H, st, **kw, **EST)
    assert a.attrs["fft_backend"] == "scipy"
    np.testing.assert_allclose(a.psi_real.values, b.psi_real.values, rtol=0, atol=1e-13)


def test_default_time_step_divides_the_save_interval():
    H = pmc.Hamiltonian(bands.Parabolic(), P.GaussianBarrier(1.0, 2.0), hbar=0.5)
    st = pmc.states.GaussianWavepacket(x0=-10.0, p0=1.5, sigma_x=1.0, hbar=0.5)
    x = np.linspace(-40, 40, 512, endpoint=False)
    dt = Q.default_dt(H, st, grid=x, save_every=1.0)
    n = round(1.0 / dt)
    assert abs(n * dt - 1.0) < 1e-12 and n >= 1
    e_kin = 1.5 ** 2 / 2  # the kinetic energy dominates E_ref here: dt <= 0.1 hbar / E_ref
    assert dt <= 0.1 * 0.5 / e_kin


def test_bad_input_is_refused_with_the_parameter_named():
    H = _free()
    st = pmc.states.GaussianWavepacket(x0=0.0, p0=0.0, sigma_x=1.0)
    x = np.linspace(-10, 10, 64, endpoint=False)
    with pytest.raises(ValueError, match="dt"):
        Q.Simulation(H, st, grid=x, dt=-1.0)
    with pytest.raises(ValueError, match="initial must have"):
        Q.Simulation(H, np.ones(10), grid=x, dt=0.1)
    with pytest.raises(ValueError, match="hbar"):
        Q.Simulation(H, pmc.states.GaussianWavepacket(x0=0.0, p0=0.0, sigma_x=1.0, hbar=2.0),
                     grid=x, dt=0.1)
    with pytest.raises(ValueError, match="absorber width"):
        Q.Simulation(H, st, grid=x, dt=0.1, absorber=Q.Absorber(width=15.0))
    with pytest.raises(ValueError, match="width"):
        Q.Absorber(width=0.0)
    with pytest.raises(ValueError, match="power"):
        Q.Absorber(width=1.0, power=0.5)
    with pytest.raises(ValueError, match="save_every"):
        Q.Simulation(H, st, grid=x, dt=0.1).run(1.0, 0.25)
    with pytest.raises(ValueError, match="planner"):
        Q.Simulation(H, st, grid=x, dt=0.1, planner="fast")
    with pytest.raises(ValueError, match="sigma_x"):
        Q.GaussianWindow(sigma_x=-1.0)
    with pytest.raises(ValueError, match="width"):
        Q.BoxWindow(width=float("nan"))


# ============================================================================ run loop
def _barrier_run(**kw):
    """A driven barrier with absorbing layers: every part of the state a checkpoint must hold."""
    H = pmc.Hamiltonian(bands.Parabolic(), P.GaussianBarrier(1.0, 1.0)
                        * P.Sinusoidal(amplitude=0.3, angular_frequency=1.0), hbar=1.0)
    st = pmc.states.GaussianWavepacket(x0=-6.0, p0=2.0, sigma_x=1.0)
    args = dict(grid=np.linspace(-12, 12, 256, endpoint=False), dt=0.05,
                absorber=Q.Absorber(width=4.0), **EST)
    args.update(kw)
    return Q.Simulation(H, st, **args)


def test_stopped_and_resumed_run_is_bitwise_the_uninterrupted_one(tmp_path):
    whole = _barrier_run().run(6.0, 0.5, output=tmp_path / "whole.nc", progress=False)
    cut = tmp_path / "cut.nc"
    _barrier_run().run(2.5, 0.5, output=cut, progress=False, checkpoint_every=2)
    resumed = _barrier_run().run(6.0, 0.5, output=cut, progress=False, resume=True)
    assert resumed.sizes["time"] == whole.sizes["time"] == 13
    for name in whole.variables:
        np.testing.assert_array_equal(whole[name].values, resumed[name].values, err_msg=name)
    assert float(whole.absorbed[-1].sum()) > 1e-3  # the tallies are part of the state
    with pytest.raises(ValueError, match="different simulation"):
        _barrier_run(dt=0.025).run(8.0, 0.5, output=cut, resume=True, progress=False)
    # start/step/observe drive the same run by hand
    sim = _barrier_run()
    frames = [sim.start()] + [sim.step(10).observe() for _ in range(12)]
    by_hand = xr.concat(frames, dim="time")
    np.testing.assert_array_equal(by_hand.psi_real.values, whole.psi_real.values)


QUANTUM_CASE = """
[run]
method = "quantum"
dt = 0.05
t_end = {t_end}
save_every = 0.5

[dispersion]
model = "Parabolic"
mass = 1.0

[potential]
model = "GaussianBarrier"
height = 1.0
width = 1.0
modulation = {{ model = "Sinusoidal", amplitude = 0.3, angular_frequency = 1.0 }}

[distribution]
model = "GaussianWavepacket"
x0 = -6.0
p0 = 2.0
sigma_x = 1.0

[quantum]
x = {{ start = -12.0, stop = 12.0, num = 256 }}
absorber = {{ width = 4.0 }}
planner = "estimate"

[output]
checkpoint_every = 1
"""


def test_resume_in_another_process_is_bitwise_with_the_estimate_planner(tmp_path):
    """The case file runs the same solver as Python does; a run stopped at t = 2.5 and resumed
    by another process to t = 6 equals one uninterrupted run bitwise (FFTW_ESTIMATE plans are
    the same in every process)."""
    import subprocess
    import sys

    def pmc_run(t_end, out, *extra):
        case = tmp_path / f"q{t_end}.toml"
        case.write_text(QUANTUM_CASE.format(t_end=t_end))
        r = subprocess.run([sys.executable, "-m", "pmc", "run", str(case), "-o", str(out),
                            "--quiet", *extra], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr

    pmc_run(6.0, tmp_path / "whole.nc")
    pmc_run(2.5, tmp_path / "cut.nc")
    pmc_run(6.0, tmp_path / "cut.nc", "--resume")
    a, b = pmc.open_dataset(tmp_path / "whole.nc"), pmc.open_dataset(tmp_path / "cut.nc")
    python = _barrier_run().run(6.0, 0.5, progress=False)
    assert a.sizes["time"] == b.sizes["time"] == 13
    for name in a.data_vars:
        np.testing.assert_array_equal(a[name].values, b[name].values, err_msg=name)
        np.testing.assert_array_equal(a[name].values, python[name].values, err_msg=name)


def test_the_provenance_case_reruns_to_the_same_numbers(tmp_path):
    first = _barrier_run(absorber=Q.Absorber(width=4.0, power=3.0)).run(1.0, 0.5,
                                                                         progress=False)
    case = tmp_path / "again.toml"
    case.write_text(first.attrs["case"])
    spec = pmc.config.load_case(case)
    spec["run"].update(t_end=1.0, save_every=0.5)  # what run() was given, not the solver
    sim, run = pmc.config.build(spec)
    assert isinstance(sim, Q.Simulation)
    second = sim.run(1.0, 0.5, progress=False)
    for name in first.data_vars:
        np.testing.assert_array_equal(first[name].values, second[name].values, err_msg=name)


def test_deprecated_names_warn_and_still_work():
    H = _free()
    st = pmc.states.GaussianWavepacket(x0=0.0, p0=1.0, sigma_x=1.0)
    x = np.linspace(-10, 10, 64, endpoint=False)
    new = Q.simulate(H, st, grid=x, t_end=0.5, save_every=0.5, dt=0.05, **EST)
    with pytest.warns(DeprecationWarning, match="solve"):
        solve = Q.solve
    with pytest.warns(DeprecationWarning, match="x= and y="):
        old = solve(H, st, x=x, t_end=0.5, save_every=0.5, dt=0.05, **EST)
    xr.testing.assert_equal(old.drop_attrs(), new.drop_attrs())
    with pytest.warns(DeprecationWarning, match="Solver"):
        solver = Q.Solver
    assert solver is Q.Simulation
    with pytest.warns(DeprecationWarning, match="psi0"):
        s = Q.Simulation(H, psi0=st, grid=x, dt=0.05, **EST)
    np.testing.assert_array_equal(s.step(10).psi, new.psi_real[-1] + 1j * new.psi_imag[-1])
    with pytest.raises(ValueError, match="not both"), pytest.warns(DeprecationWarning):
        Q.Simulation(H, st, grid=x, x=x, dt=0.05)
    with pytest.warns(DeprecationWarning, match="x= and y="):
        two = Q.Simulation(H, lambda X, Y: np.exp(-X ** 2 - Y ** 2), x=x, y=x, dt=0.05, **EST)
    assert two.shape == (64, 64)
    with pytest.raises(AttributeError, match="Nothing"):
        Q.Nothing  # noqa: B018
    grid = pmc.PhaseSpaceGrid(x=np.linspace(-9.75, 9.75, 40), p=np.linspace(-4, 4, 33))
    with pytest.warns(DeprecationWarning, match="GridSolver"):
        grid_solver = pmc.gridsolver.GridSolver
    assert grid_solver is pmc.gridsolver.Simulation
    with pytest.warns(DeprecationWarning, match="gridsolver.solve"):
        gsolve = pmc.gridsolver.solve
    g = gsolve(H, st, grid=grid, dt=0.1, t_end=0.2, save_every=0.1,
               boundary=pmc.Periodic(-10.0, 10.0))
    xr.testing.assert_equal(g.drop_attrs(), pmc.gridsolver.simulate(
        H, st, grid=grid, dt=0.1, t_end=0.2, save_every=0.1,
        boundary=pmc.Periodic(-10.0, 10.0)).drop_attrs())
    markers = pmc.sample(st, 100, seed=1)
    with pytest.warns(DeprecationWarning, match="markers="):
        sim = pmc.Simulation(H, markers=markers, dt=0.1)
    np.testing.assert_array_equal(sim.step(3).markers.x, pmc.Simulation(H, markers, dt=0.1)
                                  .step(3).markers.x)


# ============================================================================ envelope
def _husimi(x, p, st, window, t=0.0, m=1.0):
    """Analytic Husimi function of a freely evolved Gaussian packet (see module docstring)."""
    sx2, sp2 = st.sigma_x ** 2, st.sigma_p ** 2
    cxx = sx2 + sp2 * t * t / (m * m) + window.sigma_x ** 2
    cxp = sp2 * t / m
    cpp = sp2 + window.momentum_length(st.hbar) ** 2
    det = cxx * cpp - cxp * cxp
    dx = x - st.x0 - st.p0 * t / m
    dp = p - st.p0
    return np.exp(-0.5 * (cpp * dx * dx - 2 * cxp * dx * dp + cxx * dp * dp) / det) / (
        2 * np.pi * math.sqrt(det))


def test_husimi_of_a_gaussian_packet_is_exact():
    st = pmc.states.GaussianWavepacket(x0=-3.0, p0=1.5, sigma_x=1.2, mass=1.0)
    x = np.linspace(-40, 40, 1024, endpoint=False)
    q = Q.simulate(_free(), st, grid=x, t_end=4.0, save_every=2.0, dt=0.1, **EST)
    grid = pmc.PhaseSpaceGrid(x=np.linspace(-12, 12, 97), p=np.linspace(-2, 5, 71))
    w = Q.GaussianWindow(sigma_x=0.8)
    rho = Q.envelope(q, grid, w, warn=False)
    assert rho.rho.dims == ("time", "x", "p")
    for k, t in enumerate(rho.time.values):
        exact = _husimi(grid.x[:, None], grid.p[None, :], st, w, t)
        np.testing.assert_allclose(rho.rho[k].values, exact, rtol=0, atol=1e-12)
    # the integral over the grid is the exact one (the norm, less the tails beyond the grid)
    exact_integral = [_husimi(grid.x[:, None], grid.p[None, :], st, w, t).sum() * grid.bin_volume
                      for t in rho.time.values]
    np.testing.assert_allclose(rho.rho_integral.values, exact_integral, rtol=1e-12)
    for name, var in rho.data_vars.items():
        assert "units" in var.attrs and "long_name" in var.attrs, name
    assert Q.window_from_attrs(rho.attrs) == w


def test_box_envelope_equals_the_defining_integral():
    """A(x0, p0) = (2 pi hbar)^(-1/2) Dx^(-1/2) int_{x0-Dx/2}^{x0+Dx/2} exp(-i p0 x/hbar) psi dx,
    evaluated by adaptive quadrature of the analytic psi at off-grid points."""
    hb = 0.5
    st = pmc.states.GaussianWavepacket(x0=1.0, p0=2.0, sigma_x=1.0, hbar=hb)
    x = np.linspace(-20, 20, 512, endpoint=False)
    q = xr.Dataset({"psi_real": ("x", st.psi(x).real), "psi_imag": ("x", st.psi(x).imag)},
                   coords={"x": x}, attrs={"hbar": hb})
    D = 1.3
    grid = pmc.PhaseSpaceGrid(x=np.linspace(-2.05, 4.05, 13), p=np.linspace(0.5, 3.5, 11))
    rho = Q.envelope(q, grid, Q.BoxWindow(width=D), warn=False).rho[0]
    for i in (0, 5, 12):
        for b in (0, 4, 10):
            x0, p0 = grid.x[i], grid.p[b]
            f = lambda s, part: getattr(np.exp(-1j * p0 * s / hb) * st.psi(s), part)  # noqa
            re = integrate.quad(f, x0 - D / 2, x0 + D / 2, args=("real",), epsabs=1e-13)[0]
            im = integrate.quad(f, x0 - D / 2, x0 + D / 2, args=("imag",), epsabs=1e-13)[0]
            exact = (re * re + im * im) / (2 * np.pi * hb * D)
            assert abs(float(rho[i, b]) - exact) < 1e-10


def test_envelope_warns_when_its_conditions_fail():
    st = pmc.states.GaussianWavepacket(x0=0.0, p0=0.2, sigma_x=1.0)
    x = np.linspace(-20, 20, 256, endpoint=False)
    q = xr.Dataset({"psi_real": ("x", st.psi(x).real), "psi_imag": ("x", st.psi(x).imag)},
                   coords={"x": x}, attrs={"hbar": 1.0})
    grid = pmc.PhaseSpaceGrid(x=np.linspace(-5, 5, 51), p=np.linspace(-3, 3, 61))
    with pytest.warns(Q.EnvelopeWarning, match="hbar / p"):
        Q.envelope(q, grid, Q.GaussianWindow(0.5))  # p_rms ~ 0.56: hbar / p = 1.8 > 0.5
    fast = pmc.states.GaussianWavepacket(x0=0.0, p0=8.0, sigma_x=1.0)
    q2 = q.copy()
    q2["psi_real"] = ("x", fast.psi(x).real)
    q2["psi_imag"] = ("x", fast.psi(x).imag)
    with pytest.warns(Q.EnvelopeWarning, match="smallest spatial spread"):
        Q.envelope(q2, grid, Q.GaussianWindow(1.5))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Q.envelope(q2, pmc.PhaseSpaceGrid(x=np.linspace(-5, 5, 51), p=np.linspace(5, 11, 61)),
                   Q.GaussianWindow(0.5))
    with pytest.raises(ValueError, match="axes"):
        Q.envelope(q, pmc.PhaseSpaceGrid(x=x[:10], y=x[:10], p=x[:10]), Q.GaussianWindow(1.0))


def test_wigner_of_gaussian_packets_and_the_marginal_of_a_cat_state():
    st = pmc.states.GaussianWavepacket(x0=0.5, p0=-1.0, sigma_x=0.9, mass=2.0)
    x = np.linspace(-15, 15, 256, endpoint=False)
    p = np.linspace(-4, 2, 49)
    for t in (0.0, 3.0):
        W = Q.wigner(st.psi(x, t), x, p=p)
        np.testing.assert_allclose(W.values, st.wigner(x[:, None], p[None, :], t), atol=1e-11)
    a = pmc.states.GaussianWavepacket(x0=-3.0, p0=0.0, sigma_x=0.8)
    b = pmc.states.GaussianWavepacket(x0=3.0, p0=0.0, sigma_x=0.8)
    cat = (a.psi(x) + b.psi(x)) / math.sqrt(2 * (1 + math.exp(-9 / (2 * 0.64))))
    W = Q.wigner(cat, x)  # default p: the grid's Fourier momenta
    dp = float(W.p[1] - W.p[0])
    np.testing.assert_allclose(W.sum("p").values * dp, abs(cat) ** 2, atol=1e-12)
    assert float(W.min()) < -0.1 * float(W.max())  # interference fringes are negative


# ============================================================================ smoothing
def test_smoothing_bin_averages_gives_the_husimi_at_the_grid_points():
    """Bin averages of a Gaussian W (exact, by erf) smoothed with W_g equal the analytic
    convolution at the bin centres: to 1e-6 of the peak with the bin average divided out, while
    without it the error is the bin's own smoothing, (dx^2 / 24) d^2 rho / dx^2 + ..."""
    st = pmc.states.GaussianWavepacket(x0=0.3, p0=-0.2, sigma_x=0.7)
    w = Q.GaussianWindow(sigma_x=0.5)
    x = np.linspace(-6, 6, 61)
    p = np.linspace(-5, 5, 51)
    hx, hp = x[1] - x[0], p[1] - p[0]

    def cdf(e, mu, s):
        return 0.5 * (1 + special.erf((e - mu) / (s * math.sqrt(2))))

    ex = np.diff(cdf(np.append(x - hx / 2, x[-1] + hx / 2), st.x0, st.sigma_x)) / hx
    ep = np.diff(cdf(np.append(p - hp / 2, p[-1] + hp / 2), st.p0, st.sigma_p)) / hp
    f = xr.DataArray(np.outer(ex, ep), dims=("x", "p"), coords={"x": x, "p": p})
    exact = _husimi(x[:, None], p[None, :], st, w)
    with_dec = Q.smooth(f, w, hbar=1.0).values
    without = Q.smooth(f, w, hbar=1.0, deconvolve_bins=False).values
    peak = exact.max()
    assert np.abs(with_dec - exact).max() < 1e-6 * peak
    assert np.abs(without - exact).max() > 1e-3 * peak  # the bias removed is real


def test_sample_initial_says_where_markers_come_from():
    st = pmc.states.GaussianWavepacket(x0=0.0, p0=1.0, sigma_x=1.0)
    m, src = Q.sample_initial(st, 100, seed=1)
    assert src == "wigner" and m.n == 100
    x = np.linspace(-10, 10, 256, endpoint=False)
    a = pmc.states.GaussianWavepacket(x0=-3.0, p0=0.0, sigma_x=0.8)
    b = pmc.states.GaussianWavepacket(x0=3.0, p0=0.0, sigma_x=0.8)
    cat = (a.psi(x) + b.psi(x)) / math.sqrt(2)
    grid = pmc.PhaseSpaceGrid(x=np.linspace(-8, 8, 81), p=np.linspace(-4, 4, 41))
    with pytest.warns(Q.EnvelopeWarning, match="envelope density"):
        m, src = Q.sample_initial(cat, 500, seed=2, x=x, hbar=1.0, grid=grid,
                                  window=Q.GaussianWindow(0.5))
    assert src == "envelope" and m.n == 500
    with pytest.raises(ValueError, match="x, hbar, grid and window"):
        Q.sample_initial(cat, 10, seed=1)
