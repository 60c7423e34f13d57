"""A thermal ensemble in a harmonic well stays in equilibrium.
===========================================================

Markers are drawn from the Boltzmann distribution of H = p^2/2m + m omega^2 x^2/2: Maxwellian
momenta at temperature kT and the density profile n(x) ~ exp(-m omega^2 x^2 / 2kT). Streaming
along the characteristics leaves this distribution invariant (it is a function of H alone), so the
density and the temperature must stay where they started, within their standard errors; the
4th-order scheme keeps every marker's energy to 1e-9.

::

    python examples/harmonic_thermal.py [--quick]
"""
import argparse

import numpy as np

import pmc

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--quick", action="store_true", help="small run for CI")
parser.add_argument("-o", "--output", default="harmonic_thermal.nc")
args = parser.parse_args()
n = 20_000 if args.quick else 500_000

m, omega, kT = 1.0, 1.0, 0.5
H = pmc.Hamiltonian(pmc.bands.Parabolic(mass=m), pmc.potentials.Harmonic(omega=omega, mass=m))
sigma_x = np.sqrt(kT / (m * omega ** 2))
x = np.linspace(-6 * sigma_x, 6 * sigma_x, 2001)
profile = (x, np.exp(-x ** 2 / (2 * sigma_x ** 2)))            # relative density n(x)
gas = pmc.states.Maxwellian(temperature=kT, mass=m, profile=profile, momentum_dims=1)
markers = pmc.sample(gas, n=n, seed=7)
grid = pmc.PhaseSpaceGrid(x=np.linspace(-3, 3, 31), p=np.linspace(-3, 3, 61))
sim = pmc.Simulation(H, markers, dt=2 * np.pi / omega / 64, grid=grid, scheme="yoshida4",
                     observables=["f", "density", "temperature"], seed=7)
period = 2 * np.pi / omega
ds = sim.run(t_end=4.25 * period, save_every=period / 4, output=args.output, overwrite=True)

# Equilibrium is stationary: compare the last frame with the first, in units of the errors.
# After a whole number of periods every marker would be back at its start (the well is
# harmonic); a quarter period later the positions are the initial momenta rotated, an
# independent sample of the same density, so the differences are pure noise, |z| ~ 1.
first, last = ds.isel(time=0), ds.isel(time=-1)
for name in ("density", "temperature"):
    z = (last[name] - first[name]) / np.hypot(last[f"{name}_stderr"], first[f"{name}_stderr"])
    z = z.where(first.density > 0.05 * float(first.density.max()))
    print(f"{name}: max |change| / stderr over the cells = {float(np.abs(z).max()):.2f}")
core = last.temperature.sel(x=slice(-1, 1))
print(f"temperature in |x| < 1: {float(core.mean()):.4f} (kT = {kT})")
drift = np.abs(ds.energy - ds.energy[0]).max() / abs(float(ds.energy[0]))
print(f"relative change of the total energy: {float(drift):.2e}")
