"""The schedule optimiser and the analyses behind it (pure): best times, quality vs volume, exports, replay."""
