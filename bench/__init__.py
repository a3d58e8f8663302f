"""Benchmarks (not run by CI). Each module runs with `python -m bench.<name>` and prints
one JSON line of figures; `make bench` runs them all."""
