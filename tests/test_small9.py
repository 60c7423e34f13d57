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
