"""Writes with rules behind them, one module per kind of write (inscriptions, layers, jobs, models)."""
