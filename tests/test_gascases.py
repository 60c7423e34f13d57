"""Freestream faces emitting a mixture (pmc.Freestream(mixture=, fractions=)), the `injected`
output of freestream faces on every axis, and the reference solutions of the Knudsen-sweep
validation cases (54, 55)."""
import math

import numpy as np
import pytest
from scipy import stats
from test_walls import _flux_cdf  # the flux-weighted drifting Maxwellian's CDF

import pmc
from pmc.streaming import Streamer

K = pmc.units.K
KT = 300.0 * K
HE = pmc.Species("He", 6.6465e-27, pmc.collisions.VHS(2.33e-10, 0.66, 273 * K), 2e3,
                 rotational_dof=0)
N2 = pmc.Species("N2", 4.6518e-26, pmc.collisions.VHS(4.17e-10, 0.74, 273 * K), 5e3,
                 rotational_dof=2, relaxation=5.0)
MIX = pmc.Mixture([HE, N2])
H_MIX = pmc.Hamiltonian(MIX.band, units="si")
P_KS = 1e-3  # a KS test fails with this probability when the distribution is right


def _empty_mixture_markers():
    return pmc.Markers(x=np.full((1, 3), 0.5), p=np.zeros((1, 3)), w=np.full(1, 1e-30),
                       state=np.zeros(1, np.int64), internal=np.zeros(1))


@pytest.mark.parametrize("side, u", [(0, 250.0), (1, 250.0)])
def test_mixture_freestream_flux_per_species_is_exact(side, u):
    """Each species enters with its own closed-form flux (partial density x_s n, thermal
    speed sqrt(kT / m_s)) as markers of its own weight and state; its normal velocity follows
    its flux-weighted drifting Maxwellian (KS), the tangential ones its Maxwellian; the
    rotating species carries the equilibrium rotational energy (exponential, mean kT: KS), the
    atom none."""
    n_gas, x_he = 1e20, 0.3
    face = pmc.Freestream(0.0, 1.0, density=n_gas, velocity=(u, 40.0, 0.0), temperature=KT,
                          inflow=("lo", "hi")[side], mixture=MIX,
                          fractions={"He": x_he, "N2": 1 - x_he})
    box = (face, pmc.Periodic(0.0, 1e-4), pmc.Periodic(0.0, 1e-4))
    mk = _empty_mixture_markers()
    st = Streamer(H_MIX, mk, boundary=box, seed=3)
    dt, steps = 4e-9, 30
    tally = st(mk, dt, steps)
    state, w = mk.state[1:], mk.w[1:]
    direction = 1.0 if side == 0 else -1.0
    total = 0.0
    for s, sp in enumerate(MIX.species):
        mine = state == s
        assert np.all(w[mine] == sp.weight)
        expected = face.flux(0, side, s) * 1e-8 / sp.weight * dt * steps
        count = mine.sum()
        assert abs(count - expected) < 4 * math.sqrt(expected), (sp.name, count, expected)
        assert count > 400
        total += count * sp.weight
        sigma = math.sqrt(KT / sp.mass)
        assert face.flux(0, side, s) == pytest.approx(
            (x_he if s == 0 else 1 - x_he) * n_gas * sigma
            * (math.exp(-0.5 * (u / sigma) ** 2) / math.sqrt(2 * math.pi)
               + 0.5 * direction * u / sigma * (1 + math.erf(direction * u / sigma
                                                             / math.sqrt(2)))), rel=1e-12)
        v = mk.momenta[1:][mine] / sp.mass
        a = direction * u / sigma
        assert stats.kstest(direction * v[:, 0] / sigma,
                            lambda t, a=a: _flux_cdf(t, a)).pvalue > P_KS
        assert stats.kstest(v[:, 1], stats.norm(40.0, sigma).cdf).pvalue > P_KS
        e = mk.internal[1:][mine]
        if sp.rotational_dof:
            assert stats.kstest(e, stats.expon(scale=KT).cdf).pvalue > P_KS
        else:
            assert np.all(e == 0.0)
    assert tally.face_injected[side] == pytest.approx(total, rel=1e-12)
    assert face.flux(0, side) == pytest.approx(face.flux(0, side, 0) + face.flux(0, side, 1))


def test_mixture_freestream_in_a_simulation_counts_every_face():
    """A 2-D mixture box with freestream faces on x and y: the `injected` output has one entry
    per face (x_lo, x_hi, y_lo, y_hi), each the weight that entered there, within Poisson
    errors of the closed-form flux (for the y faces too, which the contacts' x-only count
    missed); markers enter in their species' state."""
    n_gas, x_he = 1e18, 0.5
    kw = dict(density=n_gas, velocity=(0.0, 0.0, 0.0), temperature=KT, mixture=MIX,
              fractions=(x_he, 1 - x_he))
    lx, ly = 1e-5, 2e-5
    box = (pmc.Freestream(0.0, lx, **kw), pmc.Freestream(0.0, ly, **kw))
    mk = pmc.Markers(x=np.array([[0.5 * lx, 0.5 * ly]]), p=np.zeros((1, 3)), w=np.full(1, 1e-30),
                     state=np.zeros(1, np.int64), internal=np.zeros(1))
    dt, steps = 1e-10, 40
    sim = pmc.Simulation(H_MIX, mk, dt=dt, boundary=box, seed=5)
    out = sim.run(steps * dt, steps * dt / 2, progress=False)
    inj = out["injected"].isel(time=-1).values
    assert list(out["contact"].values) == ["x_lo", "x_hi", "y_lo", "y_hi"]
    for code, (axis, length) in enumerate([(0, ly), (0, ly), (1, lx), (1, lx)]):
        face = pmc.Freestream(0.0, 1.0, **kw)
        molecules = [face.flux(axis, code % 2, s) * length * dt * steps for s in range(2)]
        mean = sum(molecules)  # the weight is Poisson(count) times the species weight
        var = sum(m * sp.weight for m, sp in zip(molecules, MIX.species))
        assert abs(inj[code] - mean) < 4 * math.sqrt(var), (code, inj[code], mean)
    assert set(np.unique(sim.markers.state)) <= {0, 1}


@pytest.mark.parametrize("make, match", [
    (lambda: pmc.Freestream(0, 1, mixture=MIX), "fractions"),
    (lambda: pmc.Freestream(0, 1, mixture=MIX, fractions=(0.5, 0.6)), "sum to 1"),
    (lambda: pmc.Freestream(0, 1, mixture=MIX, fractions=(0.5,)), "one value per species"),
    (lambda: pmc.Freestream(0, 1, mixture=MIX, fractions={"Xe": 1.0}), "unknown species"),
    (lambda: pmc.Freestream(0, 1, mixture=MIX, fractions=(1.5, -0.5)), "fractions"),
    (lambda: pmc.Freestream(0, 1, mixture=MIX, fractions=(1.0, 0.0), mass=1e-26), "mass"),
    (lambda: pmc.Freestream(0, 1, fractions=(1.0, 0.0)), "mixture"),
    (lambda: pmc.Freestream(0, 1, mixture="air", fractions=(1.0,)), "pmc.Mixture"),
])
def test_mixture_freestream_bad_input(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_mixture_freestream_needs_the_runs_mixture():
    other = pmc.Mixture([HE])
    face = pmc.Freestream(0.0, 1e-5, mixture=other, fractions=(1.0,))
    with pytest.raises(ValueError, match="run's mixture"):
        Streamer(H_MIX, _empty_mixture_markers(), boundary=face)
    single = pmc.Freestream(0.0, 1e-5, mass=HE.mass)
    with pytest.raises(ValueError, match="mixture="):
        Streamer(H_MIX, _empty_mixture_markers(), boundary=single)


# ---------------------------------------------------------------- the S-model reference (54, 55)
def _kinetic():
    import pathlib
    import sys
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "validation"))
    import _kinetic
    return _kinetic


def test_kinetic_reference_free_molecular_limit_is_exact():
    """delta -> 0: sigma and Q tend to 1/sqrt(pi) (free-molecular Couette shear and Fourier
    heat flux between diffuse walls, linearised; exact), with the O(delta log delta) approach."""
    kin = _kinetic()
    for fn in (kin.couette, kin.fourier):
        assert fn(1e-5, n=40)[0] == pytest.approx(1.0 / math.sqrt(math.pi), rel=2e-4)


def test_kinetic_reference_continuum_limit_and_bgk_slip():
    """delta -> infinity: the BGK Couette shear follows 1 / (delta + 2 zeta) with Cercignani's
    exact slip coefficient zeta = 1.01619 (in l = mu v0 / p); the S-model Fourier heat flux
    15 / (8 (delta + 2 zeta_T)) to first order, zeta_T = 1.954 (Sharipov's S-model jump; checked
    only to 1e-3 relative, its second-order terms are O(delta^-3))."""
    kin = _kinetic()
    d = 40.0
    sigma = kin.couette(d, n=300, model="BGK")[0]
    zeta = 0.5 * (1.0 / sigma - d)
    assert zeta == pytest.approx(1.01619, abs=0.01)
    q = kin.fourier(d, n=300)[0]
    assert q == pytest.approx(15.0 / 8.0 / (d + 2 * 1.954), rel=1e-3)


def test_kinetic_reference_is_converged():
    """Doubling the cells and the velocity nodes changes the reference by < 1e-4 relative at the
    deltas of the cases."""
    kin = _kinetic()
    for d in (0.09, 2.9):
        for fn in (kin.couette, kin.fourier):
            a = fn(d, n=80, nc=64)[0]
            b = fn(d, n=160, nc=128)[0]
            assert a == pytest.approx(b, rel=1e-4), (fn.__name__, d)
    a = kin.couette(8.9, n=200)[0]
    b = kin.couette(8.9, n=400)[0]
    assert a == pytest.approx(b, rel=2e-4)


def test_kinetic_reference_bad_delta():
    kin = _kinetic()
    with pytest.raises(ValueError, match="delta"):
        kin.couette(0.0)


def test_case_file_freestream_emits_the_species_mixture(tmp_path):
    """[boundary] model = "Freestream" with fractions takes the case's [[species]] mixture."""
    from test_mixtures import CASE
    case = CASE.replace('''[boundary]
model = "Periodic"
lo = [0.0, 0.0, 0.0]
hi = [1e-5, 1e-5, 1e-5]''', '''[[boundary]]
model = "Freestream"
lo = 0.0
hi = 1e-5
density = 1e22
temperature = "300 K"
fractions = { N2 = 0.8, Ar = 0.2 }

[[boundary]]
model = "Periodic"
lo = 0.0
hi = 1e-5

[[boundary]]
model = "Periodic"
lo = 0.0
hi = 1e-5''')
    path = tmp_path / "mix.toml"
    path.write_text(case)
    sim, _ = pmc.config.build(pmc.config.load_case(path))
    face = sim.boundary[0]
    assert face.mixture.names == ("N2", "Ar") and face.fractions == ((0.8, 0.2),) * 2
    sim.step()
    path.write_text(case.replace('fractions = { N2 = 0.8, Ar = 0.2 }', 'fractions = [0.5, 0.4]'))
    with pytest.raises(pmc.config.CaseError, match="sum to 1"):
        pmc.config.build(pmc.config.load_case(path))


def test_case_file_freestream_fractions_need_species():
    case = {"boundary": {"model": "Freestream", "lo": 0.0, "hi": 1.0, "fractions": [1.0]}}
    with pytest.raises(pmc.config.CaseError, match=r"\[\[species\]\]"):
        pmc.config._boundary(case)
