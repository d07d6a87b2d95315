"""Internals of curation.model (data preparation, fitting, hints, explanations, persistence)."""
