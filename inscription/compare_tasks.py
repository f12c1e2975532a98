"""Celery tasks for comparisons (no ML: the io queue, see inscription/jobkinds.py)."""
from __future__ import annotations

from jobs.runner import JobRun, job_task


@job_task(device="cpu")
def run_comparison(run: JobRun) -> dict:
    """Compute a large comparison recorded by ``request_comparison``; idempotent (lines are rebuilt)."""
    from inscription.models import Comparison, ComparisonState
    from inscription.services.compare import compute

    comparison = Comparison.objects.get(pk=run.params["comparison"])
    if comparison.state == ComparisonState.READY:
        return {"comparison": comparison.pk, "cer": comparison.cer, "wer": comparison.wer}
    run.progress(0, total=len(comparison.left_spec["inscription_ids"]) + len(comparison.right_spec["inscription_ids"]),
                 message="aligning lines")

    def progress(done: int, total: int) -> None:
        run.check_cancelled()
        run.progress(done, total=total)

    try:
        compute(comparison, progress=progress)
    except Exception as exc:
        Comparison.objects.filter(pk=comparison.pk).update(state=ComparisonState.FAILED, error=str(exc)[:2000])
        raise
    return {"comparison": comparison.pk, "cer": comparison.cer, "wer": comparison.wer}
