"""Signal receivers of the inscription app (connected in InscriptionConfig.ready)."""
from __future__ import annotations

from django.dispatch import receiver

from inscription import annotation_signals  # noqa: F401 - re-anchors annotations on new inscription versions
from jobs.events import job_ended


@receiver(job_ended, dispatch_uid="inscription.refresh_batch")
def refresh_batch_on_child_end(sender, job_id: int, parent_id: int, **kwargs) -> None:
    """A batch's child ended: sum the batch up again (its one progress bar and per-document results)."""
    from inscription.services.batches import refresh_batch

    refresh_batch(parent_id)
