"""Progressive hedging over the scenarios with mpi-sppy: the engine for workbooks too big
for the extensive form, in the parts mpi-sppy's own examples keep apart:

* :mod:`optimizer.ph.scenarios`, the model module mpi-sppy calls on every rank: one
  scenario's model (:func:`~optimizer.ph.scenarios.scenario_creator`), the scenario names
  and the first stage PH makes agree;
* :mod:`optimizer.ph.incumbents`, the hub's own search for incumbent plans;
* :mod:`optimizer.ph.driver`, what every MPI rank runs (``python -m mpi4py -m
  optimizer.ph.driver``): the PH hub, a Lagrangian lower-bound spoke and an incumbent
  finder; rank 0 writes the bounds and the incumbent plan as JSON;
* :mod:`optimizer.ph.launcher`, the parent side: whether MPI can run, ``mpiexec`` and its
  streamed log;
* :mod:`optimizer.ph.engine`, the engine the pipeline (:mod:`optimizer.pipeline`) runs:
  launch, then evaluate the incumbent plan on every scenario and report it exactly like
  the extensive form.
"""
