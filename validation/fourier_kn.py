"""(55) Fourier flow across Knudsen numbers (0.01-10): hard-sphere argon between diffuse plates
against the linearised S-model kinetic equation.

Plane Fourier flow: plates at x = 0 and L at rest, at T0 (1 - eps/2) and T0 (1 + eps/2), T0 = 273 K,
eps = 0.2. Measured: the heat flux into each plate, normalised Q = q / (p v0 eps) (free molecular
1/sqrt(pi) exactly; continuum 15 / (8 (delta + 2 zeta_T)), zeta_T the temperature-jump
coefficient).

Reference: the linearised S-model (Shakhov) equation solved deterministically
(``validation/_kinetic.py``) at the hard-sphere conductivity of the run: the model equation, not
hard-sphere Boltzmann, hence a 2 % model allowance in the tolerance; no published hard-sphere
table could be retrieved here (where we looked, the DSMC corrections and the tolerance:
``validation/_knudsen.py``). Near the continuum limit see also case 52.

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
