"""Benchmarks of the service kit against the raw paths under it (``python -m bench.run``)."""
