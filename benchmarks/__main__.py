"""``python -m benchmarks``: run the suite (see :mod:`benchmarks.runner`)."""

from benchmarks.runner import main

main()
