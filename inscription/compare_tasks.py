"""Celery tasks for comparisons (no ML: they run on the io queue)."""
