"""Benchmarks (not part of the test run): each prints its figures and a ratio to a floor."""
