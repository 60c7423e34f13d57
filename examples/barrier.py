"""A wave packet's Wigner markers crossing a smooth Gaussian barrier.
==================================================================

The packet (centre x0 = -20, momentum p0 = 1.5, width sigma_x = 2; hbar = m = 1) has kinetic
energy p0^2 / 2 = 1.125 against a barrier of height 1, so most of it passes: the markers follow
the classical characteristics of H = p^2/2 + exp(-x^2/8), and the transmitted fraction is the
weight absorbed at the right wall. Prints the transmission and draws f(x, p) at three times.

::

    python examples/barrier.py            # 200 000 markers
    python examples/barrier.py --quick    # 20 000 markers (what CI runs)
"""
import argparse

import numpy as np
from scipy import special

import pmc

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--quick", action="store_true", help="small run for CI")
parser.add_argument("-o", "--output", default="barrier.nc")
args = parser.parse_args()
n = 20_000 if args.quick else 200_000

H = pmc.Hamiltonian(pmc.bands.Parabolic(mass=1.0),
                    pmc.potentials.GaussianBarrier(height=1.0, width=2.0), hbar=1.0)
psi0 = pmc.states.GaussianWavepacket(x0=-20.0, p0=1.5, sigma_x=2.0, hbar=1.0)
markers = pmc.sample(psi0, n=n, seed=1)
grid = pmc.PhaseSpaceGrid(x=np.linspace(-40, 40, 321), p=np.linspace(-4, 4, 161))
sim = pmc.Simulation(H, markers, dt=0.01, grid=grid, boundary=pmc.Absorbing(-40.0, 40.0),
                     seed=1)
ds = sim.run(t_end=40.0, save_every=1.0, output=args.output, overwrite=True)

# Classically a marker crosses if its energy exceeds the barrier top, p^2/2 > 1 (markers start
# far from the barrier, where U ~ 0): the exact transmitted fraction is P(|p| > sqrt 2, p > 0)
# for p ~ N(p0, hbar / (2 sigma_x)).
sigma_p = 1.0 / (2 * 2.0)
expected = 0.5 * special.erfc((np.sqrt(2.0) - 1.5) / (np.sqrt(2) * sigma_p))
# transmitted: absorbed at the right wall, or already past the barrier
final = ds.isel(time=-1)
past = float(final.density.where(final.x > 0).sum() * (grid.x[1] - grid.x[0]))
transmitted = float(final.absorbed.sel(side="x_hi")) + past
error = np.sqrt(transmitted * (1 - transmitted) / n)
print(f"markers: {n}; transmitted fraction at t = {float(final.time):g}: {transmitted:.4f} "
      f"+- {error:.4f} (classical expectation {expected:.4f})")

try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:  # plotting is optional
    raise SystemExit(0)
fig, axes = plt.subplots(1, 3, figsize=(13, 3.6), sharey=True)
for ax, t in zip(axes, (0.0, 14.0, 28.0)):
    ds.f.sel(time=t).T.plot(ax=ax, cmap="magma", add_colorbar=False)
    ax.set_title(f"f(x, p) at t = {t:g}")
fig.tight_layout()
fig.savefig(args.output.replace(".nc", ".png"), dpi=100)
print(f"wrote {args.output} and {args.output.replace('.nc', '.png')}")
