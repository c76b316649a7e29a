"""Benchmarks of the continuity app on the real local stack; run ``python -m bench --help``."""
