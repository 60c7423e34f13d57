"""(55) Fourier flow across Knudsen numbers (0.01-10): hard-sphere argon between diffuse plates
against the published hard-sphere linearised-Boltzmann solution, with the temperature jump.

Plane Fourier flow: plates at x = 0 and L at rest, at T0 (1 - eps/2) and T0 (1 + eps/2), T0 =
273 K, eps = 0.2. Measured: the heat flux of the gas and into each plate, normalised Q =
q / (p v0 eps) (free molecular 1/sqrt(pi) exactly; continuum lambda_hat Kn / (1 + sqrt(pi) d_1
Kn) with Sone's hard-sphere jump coefficient d_1 = 2.4001, a jump length of 2.127 l0; the jump
term is 41 % of Q at Kn = 0.1).

Reference: the hard-sphere heat-transfer table in Y. Sone, Molecular Gas Dynamics (Birkhauser,
2007) (linearised Boltzmann equation, diffuse walls); below its first point (Kn = 0.113) the
jump solution with Sone's coefficients. Where the numbers were read, the DSMC corrections and
the tolerance: ``validation/_knudsen.py`` and ``validation/_hardsphere.py``. Near the continuum
limit see also case 52.

Run as a script: ``python validation/fourier_kn.py [--quick]``.
"""
import pathlib
import sys

import pmc.validate

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import _knudsen  # noqa: E402

NUMBER = 55
NAME = "fourier_kn"


def run(quick, outdir):
    return _knudsen.sweep("fourier", NAME, NUMBER, quick, outdir)


if __name__ == "__main__":
    pmc.validate.script(run)
