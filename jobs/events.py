"""Signals the jobs app sends, so apps above it react without the runner importing them."""
from django.dispatch import Signal

# A child job of a batch reached a final state: kwargs job_id, parent_id (the batch's owner sums it up).
job_ended = Signal()

# A worker's sweeper thread finished a sweep (every JOB_SWEEP_SECONDS): apps hang periodic worker chores on it.
worker_swept = Signal()
