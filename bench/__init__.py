"""Benchmarks of the platform (``make bench``): real processes, real load, honest numbers."""
