"""(54) Couette flow across Knudsen numbers (0.01-10): hard-sphere argon between diffuse plates
against the published hard-sphere linearised-Boltzmann solution, with the velocity slip.

Plane Couette flow: plates at x = 0 and L, both at T0 = 273 K, moving with -U/2 and +U/2 along y
(U = 0.3 v0). Measured: the shear stress of the gas and of each plate, normalised sigma =
tau v0 / (p U) (free molecular 1/sqrt(pi) exactly; continuum 2 mu_hat Kn / (1 - sqrt(pi) k_0
Kn) with Sone's hard-sphere slip coefficient k_0 = -1.2540, a slip length of 1.111 l0; the slip
term is 22 % of sigma at Kn = 0.1).

Reference: Y. Sone, S. Takata & T. Ohwada, Eur. J. Mech. B/Fluids 9, 273 (1990), hard-sphere
linearised Boltzmann equation, diffuse walls; below its first point (Kn = 0.113) the slip
solution with Sone's coefficients. Where the numbers were read, the DSMC corrections and the
tolerance: ``validation/_knudsen.py`` and ``validation/_hardsphere.py``. Near the continuum
limit see also case 53.

Run as a script: ``python validation/couette_kn.py [--quick]``.
"""
import pathlib
import sys

import pmc.validate

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import _knudsen  # noqa: E402

NUMBER = 54
NAME = "couette_kn"


def run(quick, outdir):
    return _knudsen.sweep("couette", NAME, NUMBER, quick, outdir)


if __name__ == "__main__":
    pmc.validate.script(run)
