"""Issue 15 item 2, the frames of run(): the first frame's marker sums computed by the first
push (no pass of its own), the potential energy of the last frame taken from the push's last
force evaluation; every frame bitwise what step() and observe() give, on any number of
threads."""
import numpy as np
import pytest
import xarray as xr

import pmc
from pmc._kernels import threads
from test_push5 import HI, LO, _hamiltonian  # the same Hamiltonians as the push5 frames

DT = 0.05


def _sim(kind, n, seed=3):
    rng = np.random.default_rng(seed)
    dx = 2 if kind == "harmonic_2d" else 1
    dp = 3 if kind.startswith("kane") else dx
    markers = pmc.Markers(rng.uniform(LO, HI, size=(n, dx)), rng.standard_normal(size=(n, dp)),
                          rng.uniform(0.5, 1.5, size=n))
    return pmc.Simulation(_hamiltonian(kind), markers, dt=DT,
                          boundary=pmc.Periodic([LO] * dx, [HI] * dx))


def _by_hand(sim, intervals, per_frame):
    frames = [sim.observe()]
    for _ in range(intervals):
        sim.step(per_frame)
        frames.append(sim.observe())
    return xr.concat(frames, dim="time", data_vars="all", coords="minimal",
                     compat="override", join="exact")


@pytest.mark.parametrize("kind", ["gaussian", "gridded", "kane_gaussian", "kane_modulated",
                                  "two_terms", "harmonic_2d"])
@pytest.mark.parametrize("n", [3001, 20011])  # one thread (SMALL_RUN) and several blocks
def test_run_frames_bitwise_step_and_observe(kind, n):
    """run()'s frames, the first one's sums from the first push's first pass and the others'
    from the pushes' last passes (U from the force evaluation where it can), are bitwise the
    frames of step() and observe()."""
    a, b = _sim(kind, n), _sim(kind, n)
    ran = a.run(3 * 7 * DT, 7 * DT, progress=False)
    xr.testing.assert_identical(ran.drop_attrs(), _by_hand(b, 3, 7).drop_attrs())
    np.testing.assert_array_equal(a.markers.positions, b.markers.positions)
    np.testing.assert_array_equal(a.markers.momenta, b.markers.momenta)
    # a second run continues from the end of the first: its first frame again from the push
    again = a.run(a.time + 2 * 7 * DT, 7 * DT, progress=False)
    xr.testing.assert_identical(again.drop_attrs(), _by_hand(b, 2, 7).drop_attrs())


@pytest.mark.parametrize("kind", ["gaussian", "kane_modulated"])
def test_run_frames_independent_of_threads(kind):
    """The frames (sums per block, added in block order) do not depend on the thread count."""
    runs = []
    for k in (1, 2):
        old = threads.swap(k)
        try:
            runs.append(_sim(kind, 30011).run(2 * 5 * DT, 5 * DT, progress=False))
        finally:
            threads.swap(old)
    xr.testing.assert_identical(runs[0].drop_attrs(), runs[1].drop_attrs())


def test_first_frame_from_the_push_checks_the_initial_state():
    """A non-finite initial state still stops the run, naming step 0."""
    sim = _sim("gaussian", 5000)
    sim.markers.momenta[7, 0] = np.nan
    with pytest.raises(FloatingPointError, match="step 0"):
        sim.run(2 * 5 * DT, 5 * DT, progress=False)


def test_first_frame_of_a_run_without_steps():
    """A run with no interval records the first frame from a pass of its own."""
    a, b = _sim("gaussian", 5000), _sim("gaussian", 5000)
    xr.testing.assert_identical(a.run(0.0, 5 * DT, progress=False).drop_attrs(),
                                _by_hand(b, 0, 5).drop_attrs())


@pytest.mark.parametrize("kind", ["gaussian", "gridded", "kane_modulated", "two_terms"])
def test_run_makes_no_pass_of_its_own(kind, monkeypatch):
    """Without collisions, fields or grid observables, run() takes every frame's sums from the
    pushes: the separate pass (:func:`pmc._kernels.evaluate.marker_sums`) is never called."""
    sim = _sim(kind, 20011)

    def refuse(*args):
        raise AssertionError("a separate pass over the markers")
    monkeypatch.setattr(pmc.simulation._evaluate, "marker_sums", refuse)
    sim.run(2 * 5 * DT, 5 * DT, progress=False)
