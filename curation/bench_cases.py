"""Benchmark cases of import, model and planner (registered with curation.bench.case)."""
