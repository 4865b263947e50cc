"""Benchmarks: attunement timed beside its peers in the same run (commands, not tests)."""

from attunement.benchmarks.synchrony import run_synchrony_benchmark

__all__ = ["run_synchrony_benchmark"]
