"""Benchmarks that measure the app against its real dependencies, run by `make bench-*`."""
