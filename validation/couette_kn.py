"""(54) Couette flow across Knudsen numbers (0.01-10): hard-sphere argon between diffuse plates
against the linearised S-model kinetic equation.

Plane Couette flow: plates at x = 0 and L, both at T0 = 273 K, moving with -U/2 and +U/2 along y
(U = 0.3 v0). Measured: the wall shear stress tau of each plate, normalised sigma = tau v0 / (p U)
(free molecular 1/sqrt(pi) exactly; continuum 1/(delta + 2 zeta), zeta the slip coefficient).

Reference: the linearised S-model (Shakhov) equation solved deterministically
(``validation/_kinetic.py``) at the hard-sphere viscosity of the run: the model equation, not
hard-sphere Boltzmann, hence a 2 % model allowance in the tolerance; no published hard-sphere
table could be retrieved here (where we looked, the DSMC corrections and the tolerance:
``validation/_knudsen.py``). Near the continuum limit see also case 53.

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
