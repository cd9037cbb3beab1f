"""Beyond the paper: advice before paying for synthetic data (docs/advise.md).

- ``table``: a study's configurations as one frame: cheap measurements (recognizability,
  diversity, FID, their per-class spread, the losses at the two smallest scales) and the
  expensive targets (k and ``-log L_{D_I}`` of each configuration's learning curve);
- ``predict``: a ridge model from the cheap measurements to the targets, validated leave one
  configuration out against two baselines, and prediction with an interval for a new dataset;
- ``allocate``: how many images each class gets out of a budget, from a pilot curve's per-class
  power laws;
- ``experiment``: adaptive against uniform allocation at equal budgets (a study's ``adaptive``
  section).
"""
