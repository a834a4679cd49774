"""Benchmarks: tinygrad_edu against hand-written numpy, PyTorch and micrograd.

``python -m benchmarks.run`` times every system on every workload and writes RESULTS.md.
"""
