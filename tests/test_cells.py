"""Collision cells and the per-cell sort, against numpy."""
import numpy as np
import pytest

import pmc


def test_index_and_sort_match_numpy(rng):
    x = rng.uniform(-0.2, 1.2, (5000, 2))
    mk = pmc.Markers(x=x, p=np.zeros((5000, 3)))
    cells = pmc.Cells([0.0, 0.0], [1.0, 1.0], [4, 3])
    idx = cells.index(mk)
    i = np.floor(x[:, 0] * 4).astype(int)
    j = np.floor(x[:, 1] * 3).astype(int)
    inside = (i >= 0) & (i < 4) & (j >= 0) & (j < 3)
    np.testing.assert_array_equal(idx, np.where(inside, i * 3 + j, -1))
    order, start = cells.sort(mk)
    assert start[-1] == inside.sum()
    for c in range(cells.count):
        members = order[start[c]:start[c + 1]]
        np.testing.assert_array_equal(members, np.flatnonzero(idx == c))  # stable
    assert cells.volume == pytest.approx(1 / 12)


def test_cells_from_grid_cover_its_spatial_bins():
    grid = pmc.PhaseSpaceGrid(x=np.linspace(0.5, 9.5, 10), p=np.linspace(-1, 1, 5))
    cells = pmc.Cells.from_grid(grid)
    np.testing.assert_allclose([cells.lo[0], cells.hi[0]], [0.0, 10.0])
    assert cells.count == 10


@pytest.mark.parametrize("args, name", [((0.0, 0.0, 3), "hi"), ((0.0, 1.0, 0), "n"),
                                        (([0.0, 0.0], [1.0, 1.0], [2, 2, 2]), "n")])
def test_bad_cells_are_named(args, name):
    with pytest.raises(ValueError, match=name):
        pmc.Cells(*args)


def test_markers_carry_discrete_states_through_removal_and_append():
    mk = pmc.Markers(x=[0.1, 0.5, 0.9, 1.5], p=[0.0, 0.0, 0.0, 0.0], state=[0, 1, 2, 3])
    mk.remove(np.array([1]))
    assert mk.state.tolist() == [0, 3, 2]
    mk.append(np.zeros((1, 2)), np.zeros((1, 2)), np.ones(2), np.array([5, 6]))
    assert mk.state.tolist() == [0, 3, 2, 5, 6]
    with pytest.raises(ValueError, match="state"):
        mk.append(np.zeros((1, 1)), np.zeros((1, 1)), np.ones(1))
    with pytest.raises(ValueError, match="state"):
        pmc.Markers(x=[0.0], p=[0.0], state=[-1])
