"""Benchmarks: `python -m curation.bench` (JSON figures beside bare baselines) and the scale bench."""
