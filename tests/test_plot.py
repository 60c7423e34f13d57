"""pmc plot (pmc.plot): a figure of any solver's file, of a comparison, and of two runs side by
side, checked on the Figure itself: what is drawn, on which colour scale, with which labels."""
import subprocess
import sys

import numpy as np
import pytest
import xarray as xr

import pmc
from pmc import gridsolver
from pmc import quantum as Q

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from pmc import plot as P  # noqa: E402

H = pmc.Hamiltonian(pmc.bands.Parabolic(mass=1.0), hbar=1.0)
PACKET = pmc.states.GaussianWavepacket(x0=0.0, p0=1.0, sigma_x=1.0)
GRID = pmc.PhaseSpaceGrid(x=np.linspace(-9.5, 9.5, 20), p=np.linspace(-3, 3, 13))


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    d = tmp_path_factory.mktemp("plot")
    out = {}
    sim = pmc.Simulation(H, pmc.sample(PACKET, 400, seed=1), dt=0.05, grid=GRID,
                         boundary=pmc.Absorbing(-10, 10), seed=2)
    sim.run(0.2, 0.1, output=str(d / "markers.nc"), progress=False)
    out["markers"] = str(d / "markers.nc")
    g = gridsolver.Simulation(H, PACKET, grid=GRID, dt=0.05, boundary=pmc.Absorbing(-10, 10))
    g.run(0.2, 0.1, output=str(d / "grid.nc"), progress=False)
    out["grid"] = str(d / "grid.nc")
    q = Q.Simulation(H, PACKET, grid=np.linspace(-20, 20, 128, endpoint=False), dt=0.05,
                     planner="estimate")
    q.run(0.2, 0.1, output=str(d / "quantum.nc"))
    out["quantum"] = str(d / "quantum.nc")
    rho = Q.envelope(pmc.io.open_dataset(out["quantum"]), GRID, Q.GaussianWindow(1.0),
                     warn=False)
    rho.to_netcdf(d / "envelope.nc", encoding=pmc.io.encoding(rho))
    out["envelope"] = str(d / "envelope.nc")
    for name, densities in (("compare", True), ("compare_scalars", False)):
        c = pmc.compare([pmc.io.open_dataset(out["markers"])], rho, noise_draws=4,
                        densities=densities)
        c.to_netcdf(d / f"{name}.nc", encoding=pmc.io.encoding(c))
        out[name] = str(d / f"{name}.nc")
    out["dir"] = d
    return out


def _images(fig):
    return [(ax, ax.collections[0]) for ax in fig.axes
            if ax.get_visible() and ax.collections and hasattr(ax.collections[0], "get_clim")
            and ax.get_label() != "<colorbar>"]


def _labels(fig):
    return {(ax.get_xlabel(), ax.get_ylabel()) for ax in fig.axes if ax.get_visible()}


@pytest.mark.parametrize("solver", ["markers", "grid", "quantum", "envelope"])
def test_each_solver_file_is_drawn_with_units_from_the_schema(runs, solver):
    fig = P.figure(runs[solver])
    try:
        images = _images(fig)
        assert len(images) == 3, solver  # the phase-space density at three times
        labels = _labels(fig)
        assert ("x [1]", "p [1]") in labels  # natural units: hbar = 1, mass = 1
        if solver != "envelope":
            assert ("time [1]", "total_weight [1]") in labels
            assert ("time [1]", "energy [1]") in labels  # one quantity per axis
            assert ("x [1]", "density [1]") in labels
        for ax in fig.axes:  # no axis mixes total weight and energy
            names = [ln.get_label() for ln in ax.get_lines()]
            assert not {"total_weight", "energy"} <= set(names)
        if solver == "quantum":  # the Wigner function of the wave function
            assert all("wigner, t = " in ax.get_title() for ax, _ in images)
        for _, mesh in images:  # a Gaussian packet's Wigner function is positive too
            lo, hi = mesh.get_clim()
            assert lo == 0.0 and hi > 0.0 and mesh.get_cmap().name == P.SEQUENTIAL
    finally:
        plt.close(fig)


def test_round_off_negatives_keep_a_sequential_map():
    f = np.abs(np.random.default_rng(1).normal(size=(4, 5)))
    f[0, 0] = -1e-15
    cmap, lo, hi, (clipped,) = P._limits([f])
    assert cmap == P.SEQUENTIAL and lo == 0.0 and hi == f.max() and clipped.min() == 0.0
    f[0, 0] = -0.1 * f.max()
    cmap, lo, hi, (clipped,) = P._limits([f])  # a density: clipped all the same
    assert cmap == P.SEQUENTIAL and lo == 0.0 and clipped.min() == 0.0
    cmap, lo, hi, _ = P._limits([f], signed=True)  # a Wigner function
    assert cmap == P.DIVERGING and lo == -hi


def test_two_runs_side_by_side_share_the_colour_scale(runs):
    fig = P.figure([runs["markers"], runs["grid"]], times=[0.2])
    try:
        images = _images(fig)
        assert len(images) == 2
        (a, ma), (b, mb) = images
        assert ma.get_clim() == mb.get_clim()
        assert a.get_position().x0 < b.get_position().x0  # side by side
        top = max(float(np.abs(m.get_array()).max()) for _, m in images)
        assert ma.get_clim()[1] == pytest.approx(top)
    finally:
        plt.close(fig)


def test_a_comparison_draws_reference_and_markers_and_the_distance(runs):
    fig = P.figure(runs["compare"])
    try:
        images = _images(fig)
        assert len(images) == 6  # reference and markers at three times
        assert len({m.get_clim() for _, m in images[:2]}) == 1
        lines = {ln.get_label() for ax in fig.axes for ln in ax.get_lines()}
        assert {"distance", "noise_floor", "mean_x_reference", "mean_x_markers"} <= lines
        assert ("time [1]", "distance [1]") in _labels(fig)
    finally:
        plt.close(fig)
    fig = P.figure(runs["compare_scalars"])  # without the densities: the time series
    try:
        assert _images(fig) == []
        lines = {ln.get_label() for ax in fig.axes for ln in ax.get_lines()}
        assert {"distance", "noise_floor", "transmitted_markers"} <= lines
    finally:
        plt.close(fig)


def test_a_file_with_nothing_to_draw_is_an_error(tmp_path):
    ds = xr.Dataset({"whatever": ("q", [1.0, 2.0])})
    with pytest.raises(P.NothingToPlot, match="nothing to plot"):
        P.figure(ds)
    path = tmp_path / "empty.nc"
    ds.to_netcdf(path)
    r = subprocess.run([sys.executable, "-m", "pmc", "plot", str(path), "-o",
                        str(tmp_path / "x.png")], capture_output=True, text=True)
    assert r.returncode == 2 and "nothing to plot" in r.stderr and "wrote" not in r.stdout
    assert not (tmp_path / "x.png").exists()


def test_command_line_plots_two_files_and_info_reads_the_schema(runs):
    out = runs["dir"] / "both.png"
    r = subprocess.run([sys.executable, "-m", "pmc", "plot", runs["markers"], runs["quantum"],
                        "-o", str(out)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and f"wrote {out}" in r.stdout
    r = subprocess.run([sys.executable, "-m", "pmc", "info", runs["quantum"]],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "total_weight(time) [1]: total weight (particles; probability" in r.stdout
    assert "(ensemble: mean)" in r.stdout


def test_a_sweep_is_drawn_one_column_per_point(runs):
    a, b = (pmc.io.open_dataset(runs["markers"]) for _ in range(2))
    swept = xr.concat([a, b], dim=xr.DataArray([0.5, 1.0], dims="potential.height",
                                               name="potential.height"))
    fig = P.figure(swept, times=[0.2])
    try:
        images = _images(fig)
        assert len(images) == 2 and images[0][1].get_clim() == images[1][1].get_clim()
        assert "potential.height = 1.0" in images[1][0].get_title()
    finally:
        plt.close(fig)
