"""The benchmark harness: processes, load generators and peers behind ``benchmarks/run.py``."""
