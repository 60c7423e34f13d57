"""Published hard-sphere (linearised Boltzmann) results for plane Couette flow and plane heat
transfer between diffuse plates: the reference of validation cases 54 and 55.

Sources (numbers as published, 4 significant digits; not re-derived here):

* Couette flow: Y. Sone, S. Takata & T. Ohwada, "Numerical analysis of the plane Couette flow
  of a rarefied gas on the basis of the linearized Boltzmann equation for hard-sphere
  molecules", Eur. J. Mech. B/Fluids 9, 273 (1990), the shear-stress column of their table
  against k = (sqrt(pi) / 2) Kn.
* Heat transfer: the hard-sphere table in Y. Sone, Molecular Gas Dynamics (Birkhauser, 2007)
  (T. Ohwada, K. Aoki & Y. Sone's linearised-Boltzmann solution), heat flux against Kn.
* Continuum limit: the hard-sphere viscosity and conductivity mu_hat = 0.562773,
  lambda_hat = 2.129475 and the slip and jump coefficients k_0 = -1.2540, d_1 = 2.4001 of Sone
  (2007), in his units (length l_0 = 1 / (sqrt(2) pi d^2 n_0), speed v_0 = sqrt(2 k T_0 / m)).

Both tables and the four coefficients were read from O. Rogozin's transcription in
github.com/olegrog/latex (science/03_couette_heat: couette/sone.txt, heat/sone.txt and
couette_heat.tex, which cites the two sources above; commit f73c767). In that transcription
the tabulated values are twice the normalised ones used here (his gnuplot scripts plot
column 2 / 2); the heat table's first row (Kn = 0.03724) is commented out there and is left
out here too (it lies 0.6 % off the asymptotic formula, which matches the next two rows to
0.1 %). ``tests/test_gasrefs.py`` checks the tables against the continuum formula at small Kn,
the exact free-molecular limit 1/sqrt(pi) at large Kn, and the S-model solver of
:mod:`_kinetic` in between.

Normalisation (that of the cases): Kn = l_0 / L; Couette sigma = tau v_0 / (p U) with the
plates moving at -+U/2; heat transfer Q = q / (p v_0 (T_2 - T_1) / T_0). Continuum limits
(Sone 2007, first order in Kn, linear):

    sigma = 2 mu_hat Kn / (1 - sqrt(pi) k_0 Kn),   Q = lambda_hat Kn / (1 + sqrt(pi) d_1 Kn),

i.e. a velocity slip length -sqrt(pi) k_0 l_0 / 2 = 1.111 l_0 and a temperature jump length
sqrt(pi) d_1 l_0 / 2 = 2.127 l_0 at each wall.
"""
import math

import numpy as np
from scipy import interpolate

_SQPI = math.sqrt(math.pi)

MU_HAT = 0.562773
LAMBDA_HAT = 2.129475
K0 = -1.2540
D1 = 2.4001

#: Sone, Takata & Ohwada (1990): k = sqrt(pi) Kn / 2 and twice sigma.
_COUETTE_K = np.array([0.1, 0.15, 0.2, 0.3, 0.4, 0.6, 0.8, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0,
                       10.0, 15.0, 20.0])
_COUETTE_2SIGMA = np.array([0.203, 0.2768, 0.3384, 0.4354, 0.5088, 0.6132, 0.6848, 0.7374,
                            0.824, 0.8775, 0.941, 0.9779, 1.0197, 1.0429, 1.0578, 1.079,
                            1.0903])
#: Sone (2007), hard-sphere heat transfer: Kn and twice Q.
_HEAT_KN = np.array([0.1128, 0.1788, 0.2834, 0.4492, 0.5642, 0.7120, 1.128, 1.788, 2.257,
                     2.834, 4.492, 5.642, 7.120, 9.027, 11.28, 17.88, 22.57, 28.34, 45.14,
                     56.42, 71.20, 112.8])
_HEAT_2Q = np.array([0.3246, 0.4329, 0.5492, 0.6637, 0.717, 0.7682, 0.8577, 0.9304, 0.9609,
                     0.9871, 1.03, 1.046, 1.061, 1.073, 1.083, 1.098, 1.104, 1.109, 1.116,
                     1.118, 1.12, 1.123])

PROBLEMS = ("couette", "fourier")


def _problem(problem):
    if problem not in PROBLEMS:
        raise ValueError(f"problem must be one of {PROBLEMS}, got {problem!r}")
    return problem


def table(problem):
    """The published points (Kn, value) of ``problem`` ('couette': sigma; 'fourier': Q),
    dimensionless, with the half-unit of the last printed digit of each value."""
    if _problem(problem) == "couette":
        kn = 2.0 * _COUETTE_K / _SQPI
        v2 = _COUETTE_2SIGMA
    else:
        kn = _HEAT_KN.copy()
        v2 = _HEAT_2Q
    digits = np.array([len(f"{x:.6g}".split(".")[1]) if "." in f"{x:.6g}" else 0 for x in v2])
    return kn, 0.5 * v2, 0.25 * 10.0 ** (-digits.astype(float))


def continuum(problem, kn):
    """The slip (Couette) or jump (Fourier) solution, first order in Kn, of hard spheres."""
    kn = np.asarray(kn, dtype=float)
    if _problem(problem) == "couette":
        return 2.0 * MU_HAT * kn / (1.0 - _SQPI * K0 * kn)
    return LAMBDA_HAT * kn / (1.0 + _SQPI * D1 * kn)


def _ratio_interpolant(kn, ratio):
    return interpolate.PchipInterpolator(np.log(kn), ratio)


def _interpolation_error(problem):
    """Largest relative error of the interpolant at a published point when that point is left
    out (the spacing there doubled): a bound on the interpolation error between points."""
    kn, v, _ = table(problem)
    r = v / continuum(problem, kn)
    worst = 0.0
    for i in range(1, kn.size - 1):
        keep = np.arange(kn.size) != i
        est = _ratio_interpolant(kn[keep], r[keep])(math.log(kn[i]))
        worst = max(worst, abs(est / r[i] - 1.0))
    return worst


def reference(problem, kn):
    """The hard-sphere value at Knudsen number ``kn`` and its relative uncertainty.

    Inside the table: a monotone cubic (PCHIP) in log Kn through the published points, of their
    ratio to :func:`continuum` (a slowly varying function); uncertainty the leave-one-out
    interpolation error plus the rounding of the printed digits. Below the first point (the
    near-continuum end): :func:`continuum`, uncertainty its largest deviation from the first two
    published points plus their rounding (its error is of higher order in Kn, so smaller there).

    Parameters
    ----------
    problem : {'couette', 'fourier'}
    kn : float
        Knudsen number l_0 / L, 0 < kn <= the last published point (22.6 for Couette, 112.8
        for Fourier).

    Returns
    -------
    (float, float)
        sigma or Q (dimensionless) and its relative uncertainty.
    """
    knt, v, half = table(problem)
    kn = float(kn)
    if not (0.0 < kn <= knt[-1]):
        raise ValueError(f"kn must be in (0, {knt[-1]:.4g}] for the {problem} table, got {kn!r}")
    ratio = v / continuum(problem, knt)
    rounding = half / v
    if kn < knt[0]:
        dev = np.abs(ratio[:2] - 1.0) + rounding[:2]
        return float(continuum(problem, kn)), float(dev.max())
    r = float(_ratio_interpolant(knt, ratio)(math.log(kn)))
    j = min(int(np.searchsorted(knt, kn)), knt.size - 1)
    err = _interpolation_error(problem) + max(rounding[j], rounding[max(j - 1, 0)])
    return float(r * continuum(problem, kn)), float(err)
