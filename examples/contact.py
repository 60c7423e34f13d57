"""A gas between an injecting contact and a reflecting wall fills up to the reservoir density.
===========================================================================================

The case is examples/contact.toml; this script runs it through the same path as the ``pmc run``
command and prints the number of particles in the box against time, which relaxes from 200 to
the reservoir's 400 (Poisson fluctuations of about 20), and the temperature, which stays kT = 1.

::

    python examples/contact.py [--quick]
"""
import argparse
import pathlib

import numpy as np

from pmc import config

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--quick", action="store_true", help="shorter run for CI")
parser.add_argument("-o", "--output", default="contact.nc")
args = parser.parse_args()

case = config.load_case(pathlib.Path(__file__).with_name("contact.toml"))
if args.quick:
    case["run"]["t_end"] = 5.0
sim, run = config.build(case)
ds = sim.run(run["t_end"], run["save_every"], output=args.output, overwrite=True)

particles = ds.total_weight
for t in np.linspace(0, float(ds.time[-1]), 6):
    print(f"t = {t:5.1f}: {float(particles.sel(time=t, method='nearest')):6.0f} particles in the box")
late = particles.where(particles.time >= ds.time[-1] / 2, drop=True)
print(f"mean over the second half: {float(late.mean()):.0f} (reservoir: 400)")
print(f"temperature (mean over cells, last frame): "
      f"{float(ds.temperature.isel(time=-1).mean()):.3f} (kT = 1)")
