"""Benchmarks a person can rerun: `make bench` lists and runs them; none is a timed test."""
