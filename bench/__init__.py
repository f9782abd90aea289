"""Benchmarks: each prints its figures and asserts nothing (``python -m bench.<name>``)."""
