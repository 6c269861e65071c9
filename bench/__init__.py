"""`make bench`: Portico's benchmarks, each measured beside its floor in the same run. Not tests.

Run with `python -m bench [--quick]` (under scripts/with-services.sh, which `make bench` does; run bare, it
re-executes itself there). See bench/results.md for the figures of the last committed run.
"""
