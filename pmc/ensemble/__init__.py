"""Replica ensembles and parameter sweeps of a case, run on dask.distributed.

A Monte Carlo error bar shrinks as 1/sqrt(total markers), and a study is a sweep over case
parameters; both are sets of independent runs. :func:`ensemble` runs R replicas of one case with
seeds spawned from the case seed and merges them into one dataset of the usual schema;
:func:`sweep` runs the Cartesian product of case-file overrides (each point an ensemble) and
stacks the points along one dimension per swept key.

The package has one module per idea:

* :mod:`pmc.ensemble.overrides` -- dotted case keys (``"potential.0.height"``) set on a copy of a
  case: :func:`override`;
* :mod:`pmc.ensemble.merging` -- the statistical merge of replicas, one rule per variable
  (weighted mean, density-weighted ratio, fraction, sum) with standard errors from the spread:
  :func:`merge`;
* :mod:`pmc.ensemble.runner` -- the runs on a dask cluster, replica seeds, the parts on disk and
  their restarts: :func:`ensemble`, :func:`sweep`, :func:`replica_seeds`,
  :func:`parts_directory`, :func:`load_factory`.
"""
from .merging import merge
from .overrides import override
from .runner import ensemble, load_factory, parts_directory, replica_seeds, sweep

__all__ = ["ensemble", "sweep", "override", "merge", "replica_seeds", "parts_directory",
           "load_factory"]
