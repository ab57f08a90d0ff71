"""changeflow's benchmark suite: ``make bench`` (``python -m benchmarks``) runs it all.

Each target of the performance issue is measured against its anchors in the same process
run, in interleaved rounds; the runner prints a table and writes
``benchmarks/results/latest.json`` and ``latest.md``. See ``python -m benchmarks --help``.
"""
