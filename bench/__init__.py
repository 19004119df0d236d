"""Benchmarks: each figure is measured against a reference taken in the same run (`make bench`)."""
