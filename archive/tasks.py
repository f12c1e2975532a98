"""Celery tasks for ingest, import and export (io queue)."""
