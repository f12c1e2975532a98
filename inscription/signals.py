"""Signal receivers of the inscription app (connected in InscriptionConfig.ready)."""
from __future__ import annotations

from django.dispatch import receiver

from archive.events import line_retired, line_split, lines_merged
from inscription import annotation_signals  # noqa: F401 - re-anchors annotations on new inscription versions
from jobs.events import job_ended


@receiver(job_ended, dispatch_uid="inscription.refresh_batch")
def refresh_batch_on_child_end(sender, job_id: int, parent_id: int, **kwargs) -> None:
    """A batch's child ended: sum the batch up again (its one progress bar and per-document results)."""
    from inscription.services.batches import refresh_batch

    refresh_batch(parent_id)


# Texts and annotations follow the archive's geometry acts, in the act's transaction (errors roll it back).
@receiver(line_split, dispatch_uid="inscription.split_texts")
def split_texts_with_the_line(sender, left, right, old_baseline, x, user, act, **kwargs) -> None:
    from inscription.services.layout_text import split_texts

    split_texts(left, right, old_baseline, x, user, act=act)


@receiver(lines_merged, dispatch_uid="inscription.merge_texts")
def merge_texts_with_the_lines(sender, keep, gone, user, act, **kwargs) -> None:
    from inscription.services.layout_text import merge_texts

    merge_texts(keep, gone, user, act=act)


@receiver(line_retired, dispatch_uid="inscription.orphan_line_annotations")
def orphan_annotations_of_a_retired_line(sender, line, user, reason, act, **kwargs) -> None:
    from inscription.services.layout_text import orphan_line_annotations

    orphan_line_annotations(line, user, reason=reason, act=act)
