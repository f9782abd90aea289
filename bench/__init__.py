"""Benchmarks: each prints its figures and asserts nothing (``python -m bench`` for booking
throughput and read latency, ``python -m bench.<name>`` for the others)."""
