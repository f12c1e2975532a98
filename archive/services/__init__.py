"""Writes with rules behind them, one module per kind of write (views and serializers stay thin)."""
