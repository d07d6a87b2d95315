"""The model: features, candidate fits, calibration, explanations, hints, the prior, persistence (pure)."""
