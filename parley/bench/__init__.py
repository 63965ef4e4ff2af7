"""Benchmarks: ``parley bench NAME``. Each prints one JSON object with Parley's figures, a raw
baseline measured in the same run, and their ratio (see docs/benchmarks.md)."""
