"""Benchmarks with budgets. Run on demand (``./dev bench`` or ``python -m bench``), never as timed
assertions in the test suite. Each ``bench_*.py`` module has a ``main()`` that prints its figures
and whether each is within budget, and returns a list of (name, value, budget, unit)."""
