"""The 1-D charge assignment and field interpolation kernels (pmc._kernels.fieldmesh: one code
path for NGP/CIC/TSC, periodic and bounded, used by deposit, kick and the fused PIC pass) against
a brute-force reference written from the B-spline shape functions (Birdsall & Langdon 8-4):
every marker against every mesh node and its periodic or mirror images."""
import numpy as np
import pytest

import pmc
from pmc import threads
from pmc._kernels import fieldmesh, push

SHAPES = {"ngp": 0, "cic": 1, "tsc": 2}


def _spline(order, d):
    """B-spline of ``order`` at offset d (node spacings); NGP takes d in [-1/2, 1/2)."""
    a = np.abs(d)
    if order == 0:
        return ((d >= -0.5) & (d < 0.5)).astype(float)
    if order == 1:
        return np.clip(1.0 - a, 0.0, None)
    return np.where(a <= 0.5, 0.75 - d * d, np.where(a < 1.5, 0.5 * (1.5 - a) ** 2, 0.0))


def _reference_weights(order, x, lo, h, n, periodic):
    """(markers, nodes) matrix of S(x_i - x_node), images included: periodic nodes at all
    shifts by n; bounded: virtual nodes -1 and n mirrored onto 1 and n - 2, markers outside
    [lo, lo + (n - 1) h] weightless; CIC at the upper wall in the last cell."""
    s = (x - lo) / h
    if periodic:
        s = np.mod(s, n)
    out = np.zeros((x.size, n))
    virtual = np.arange(-2, n + 2)
    for k in virtual:
        wk = _spline(order, s - k)
        if periodic:
            out[:, k % n] += wk
        elif -1 <= k <= n:
            j = 1 if k == -1 else (n - 2 if k == n else k)
            out[:, j] += wk
    if not periodic:
        out[(s < 0) | (s > n - 1)] = 0.0
    return out


def _mesh(n, periodic, length=3.0, lo=-0.5):
    h = length / n if periodic else length / (n - 1)
    return (np.array([lo, 0.0, 0.0]), np.array([1.0 / h, 1.0, 1.0]), np.array([n, 1, 1]),
            np.array([int(periodic), 1, 1]), h)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("periodic", [True, False])
@pytest.mark.parametrize("n", [2, 3, 16])
def test_deposit_and_kick_match_the_shape_functions(shape, periodic, n):
    order = SHAPES[shape]
    lo, inv_h, nn, per, h = _mesh(n, periodic)
    rng = np.random.default_rng(7 + n)
    # periodic: markers several boxes away too; bounded: some outside the walls, some on them
    span = n * h if periodic else (n - 1) * h
    x = rng.uniform(lo[0] - 2 * span, lo[0] + 3 * span, 5001) if periodic else \
        np.concatenate([rng.uniform(lo[0] - 0.1, lo[0] + span + 0.1, 5000),
                        [lo[0], lo[0] + span, lo[0] + 0.5 * h]])
    w = rng.uniform(0.5, 1.5, x.size)
    ref = _reference_weights(order, x, lo[0], h, n, periodic)
    rho = np.zeros(n)
    fieldmesh.deposit(x[None, :], w, x.size, 1, order, lo, inv_h, nn, per, rho)
    np.testing.assert_allclose(rho, w @ ref, rtol=1e-12, atol=1e-12 * w.sum())
    field = rng.normal(size=(1, n))
    p = np.zeros((1, x.size))
    fieldmesh.kick(x[None, :], p, x.size, 1, order, lo, inv_h, nn, per, field, 0.5)
    np.testing.assert_allclose(p[0], 0.5 * ref @ field[0], rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("periodic", [True, False])
def test_fused_pass_matches_the_shape_functions(shape, periodic):
    """kick_drift_deposit: kick at the old positions, drift and wrap (periodic mesh and walls)
    or reflect (bounded mesh, reflecting walls), deposit at the new ones."""
    order, n, L = SHAPES[shape], 32, 4 * np.pi
    lo, inv_h, nn, per, h = _mesh(n, periodic, length=L, lo=0.0)
    rng = np.random.default_rng(3)
    x = rng.uniform(0.0, L, (1, 20000))
    p = rng.normal(size=(1, x.shape[1]))
    w = rng.uniform(0.5, 1.5, x.shape[1])
    field = rng.normal(size=(1, n))
    hk, dt = 0.2, 0.3
    p_ref = p[0] + hk * _reference_weights(order, x[0], 0.0, h, n, periodic) @ field[0]
    if periodic:
        x_ref = np.mod(x[0] + dt * p_ref, L)
        kind = push.PERIODIC
    else:  # one reflection at most: |dt p| < L
        x_ref = x[0] + dt * p_ref
        out = (x_ref < 0.0) | (x_ref >= L)
        x_ref = np.where(x_ref < 0.0, -x_ref, np.where(x_ref >= L, 2 * L - x_ref, x_ref))
        p_ref = np.where(out, -p_ref, p_ref)
        assert out.sum() > 100
        kind = push.REFLECTING
    rho = np.zeros(n)
    fieldmesh.kick_drift_deposit(x, p, w, x.shape[1], order, periodic, 0.0, 1.0 / h, n, field,
                                 hk, dt, 1.0, kind, kind, 0.0, L, rho)
    np.testing.assert_allclose(p[0], p_ref, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(x[0], x_ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(rho, w @ _reference_weights(order, x_ref, 0.0, h, n, periodic),
                               rtol=1e-11)


def _landau(n, shape, seed=5):
    L = 4 * np.pi
    mk = pmc.sample(pmc.states.Maxwellian(temperature=1.0, mass=1.0, x=(0.0, L)), n, seed=seed)
    mk = pmc.Markers(x=mk.x, p=mk.p, w=L / n * (1 + 0.01 * np.cos(0.5 * mk.x)))
    H = pmc.Hamiltonian(pmc.bands.Parabolic(mass=1.0), units="natural")
    field = pmc.fields.Poisson(0.0, L, 64, charge=-1.0, background=1.0, shape=shape)
    return pmc.Simulation(H, mk, dt=0.1, fields=[field], boundary=pmc.Periodic(0.0, L))


@pytest.mark.parametrize("shape", ["ngp", "tsc"])
def test_driver_fused_run_is_independent_of_the_thread_count(shape):
    """Several chunks (2e4 markers): the chunk-order sum of the private row meshes."""
    runs = []
    for nthreads in (1, threads.available()):
        with threads.limited(numba_threads=nthreads):
            sim = _landau(20000, shape)
            sim.step(3)
            runs.append((sim.markers.x.copy(), sim.markers.p.copy(),
                         sim.field_operators[0].phi.copy()))
    for a, b in zip(*runs):
        np.testing.assert_array_equal(a, b)
