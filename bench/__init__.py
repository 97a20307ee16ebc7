"""Benchmarks, each measured against floors taken in the same run (not part of `make test`)."""
