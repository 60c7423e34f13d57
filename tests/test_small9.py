"""Small runs (issue 15 item 3): the reference of ``benchmarks/bench_push.py`` (the kernels of
``Simulation.step`` in the same sequence from plain Python) gives the step's results bitwise, so
that step - reference is the step's fixed cost and nothing else."""
import importlib.util
import os
import pathlib

import numpy as np
import pytest

import pmc

ROOT = pathlib.Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def bench():
    """benchmarks/bench_push.py as a module (its import sets a default OpenMP wait policy in
    the environment: restored)."""
    old = os.environ.get("OMP_WAIT_POLICY")
    spec = importlib.util.spec_from_file_location("bench_push_small9",
                                                  ROOT / "benchmarks" / "bench_push.py")
    mod = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(mod)
    finally:
        if old is None:
            os.environ.pop("OMP_WAIT_POLICY", None)
        else:
            os.environ["OMP_WAIT_POLICY"] = old
    return mod


def _simulation(bench, case, n):
    pot, dp, kind = bench.SMALL_CASES[case]
    x, p = bench.initial(dp, n, seed=7)
    H = pmc.Hamiltonian(pmc.bands.Parabolic(bench.MASS), bench.potential(pot), hbar=bench.HBAR)
    collisions, cells, states = bench._collisions(kind)
    if kind == "binary":  # many pair collisions per step (the bench's diameter gives a few)
        collisions = [pmc.collisions.Binary(pmc.collisions.HardSphere(0.3))]
    mk = (pmc.Markers(x.T, p.T, np.ones(n), state=np.zeros(n, np.int64)) if states
          else bench.markers(x, p))
    return pmc.Simulation(H, mk, dt=bench.DT, boundary=pmc.Periodic(bench.LO, bench.HI),
                          collisions=collisions, cells=cells, seed=11)


def _same(a, b):
    assert a.n == b.n
    assert np.array_equal(a.positions, b.positions)
    assert np.array_equal(a.momenta, b.momenta)
    assert np.array_equal(a.w, b.w)
    if a.state is not None or b.state is not None:
        assert np.array_equal(a.state, b.state)


@pytest.mark.parametrize("case", ["free_1d1v", "gaussian_elastic_1d3v",
                                  "free_rate_matrix_1d1v", "free_binary_1d3v"])
def test_reference_is_the_step_bitwise(bench, case):
    """step(1), step(k) mixed, the reference started after some steps (binary: across its
    reorders into cell order)."""
    sim = _simulation(bench, case, 3000)
    sim.step(2)
    ref = bench.StepReference(sim)
    for k in (1, 4, 1, 3, 1):
        sim.step(k)
        ref(k)
        assert ref.step_count == sim.step_count
        _same(sim.markers, ref.markers)
    assert sim.step_count == 12 and (case == "free_1d1v" or sim._collision_events[0] > 500)


@pytest.mark.parametrize("case", ["gaussian_elastic_1d3v", "free_binary_1d3v"])
def test_reference_on_many_threads(bench, case):
    """Above SMALL_RUN markers the step runs on every thread; the reference on one thread
    gives the same numbers (the kernels do not depend on the thread count)."""
    sim = _simulation(bench, case, pmc.simulation.SMALL_RUN + 5000)
    ref = bench.StepReference(sim)
    sim.step(1)
    sim.step(3)
    with pmc.threads.limited(numba_threads=1):
        ref(1)
        ref(3)
    _same(sim.markers, ref.markers)


def test_reference_refuses_what_it_does_not_model(bench):
    sim = _simulation(bench, "free_1d1v", 100)
    sim._compose_pushes = False
    with pytest.raises(ValueError, match="StepReference"):
        bench.StepReference(sim)


# ----------------------------------------------------------------------------- Strang in one pass
def _elastic_run(hamiltonian, x, p, cells, boundary, scheme="leapfrog", fuse=True, rate=10.0):
    n = p.shape[1]
    mk = pmc.Markers(x.T, p.T, np.ones(n))
    sim = pmc.Simulation(hamiltonian, mk, dt=0.01, boundary=boundary, cells=cells, seed=5,
                         collisions=[pmc.collisions.ElasticIsotropic(rate=rate)], scheme=scheme)
    sim._fuse_strang = fuse
    return sim


def _strang_cases():
    rng = np.random.default_rng(3)
    gauss = pmc.potentials.GaussianBarrier(height=1.0, width=2.0, center=0.0)
    n = 3000
    x1 = rng.uniform(-40.0, 40.0, (1, n))
    yield ("1D3V parabolic Gaussian", pmc.Hamiltonian(pmc.bands.Parabolic(1.0), gauss),
           x1, rng.normal(size=(3, n)), pmc.Cells(-40.0, 40.0, 8), pmc.Periodic(-40.0, 40.0),
           "leapfrog")
    # markers outside the cells do not scatter; Yoshida's pushes; reflecting walls
    yield ("1D1V yoshida4, cells over part of the box",
           pmc.Hamiltonian(pmc.bands.Parabolic(1.0), gauss), x1, rng.normal(size=(1, n)),
           pmc.Cells(-20.0, 10.0, 3), pmc.Reflecting(-40.0, 40.0), "yoshida4")
    yield ("1D3V Kane band", pmc.Hamiltonian(pmc.bands.Kane(1.0, 0.5), gauss), x1,
           rng.normal(size=(3, n)), pmc.Cells(-40.0, 40.0, 5), pmc.Periodic(-40.0, 40.0),
           "leapfrog")
    x2 = rng.uniform(-40.0, 40.0, (2, n))
    yield ("2D2V", pmc.Hamiltonian(pmc.bands.Parabolic(1.0), gauss), x2,
           rng.normal(size=(2, n)), pmc.Cells([-40.0, -40.0], [40.0, 40.0], [4, 3]),
           pmc.Periodic([-40.0, -40.0], [40.0, 40.0]), "leapfrog")


@pytest.mark.parametrize("case", list(_strang_cases()), ids=lambda c: c[0])
def test_strang_in_one_pass_is_the_separate_passes(case):
    """A constant-rate ElasticIsotropic run does its steps in one pass per sub-block
    (Simulation._strang): bitwise the separate pushes and scattering steps, its event counts
    and last_counts too, step(1) and step(k) mixed."""
    _, H, x, p, cells, boundary, scheme = case
    fused = _elastic_run(H, x, p, cells, boundary, scheme)
    plain = _elastic_run(H, x, p, cells, boundary, scheme, fuse=False)
    assert fused._strang_arguments() is not None and plain._strang_arguments() is None
    for k in (1, 4, 1, 3):
        fused.step(k)
        plain.step(k)
        _same(fused.markers, plain.markers)
        assert np.array_equal(fused._collision_events, plain._collision_events)
        counts = [{k: v for k, v in sim.operators[0].last_counts.items()
                   if k != "max_occupation"} for sim in (fused, plain)]  # NaN: unequal to NaN
        assert counts[0] == counts[1]
    assert fused._collision_events[0] > 100


def test_strang_in_one_pass_thread_count():
    """Above SMALL_RUN markers the blocks run in parallel: the same numbers on 1 and 2
    threads, and the same as the separate passes."""
    rng = np.random.default_rng(4)
    n = pmc.simulation.SMALL_RUN + 9000
    H = pmc.Hamiltonian(pmc.bands.Parabolic(1.0),
                        pmc.potentials.GaussianBarrier(height=1.0, width=2.0, center=0.0))
    x, p = rng.uniform(-40.0, 40.0, (1, n)), rng.normal(size=(3, n))
    runs = []
    for threads, fuse in ((1, True), (2, True), (2, False)):
        sim = _elastic_run(H, x, p, pmc.Cells(-40.0, 40.0, 8), pmc.Periodic(-40.0, 40.0),
                           fuse=fuse)
        with pmc.threads.limited(numba_threads=threads):
            sim.step(1)
            sim.step(3)
        runs.append(sim)
    for sim in runs[1:]:
        _same(runs[0].markers, sim.markers)
        assert np.array_equal(runs[0]._collision_events, sim._collision_events)


def test_strang_not_where_it_does_not_apply():
    """Absorbing walls, two mechanisms or a rate matrix: the separate passes."""
    rng = np.random.default_rng(5)
    n = 500
    H = pmc.Hamiltonian(pmc.bands.Parabolic(1.0),
                        pmc.potentials.GaussianBarrier(height=1.0, width=2.0, center=0.0))
    x, p = rng.uniform(-40.0, 40.0, (1, n)), rng.normal(size=(3, n))
    cells = pmc.Cells(-40.0, 40.0, 4)
    assert _elastic_run(H, x, p, cells, pmc.Absorbing(-40.0, 40.0))._strang_arguments() is None
    two = pmc.Simulation(H, pmc.Markers(x.T, p.T, np.ones(n)), dt=0.01, cells=cells,
                         boundary=pmc.Periodic(-40.0, 40.0),
                         collisions=[pmc.collisions.ElasticIsotropic(rate=1.0, name="a"),
                                     pmc.collisions.ElasticIsotropic(rate=2.0, name="b")])
    assert two._strang_arguments() is None
