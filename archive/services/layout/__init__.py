"""Layout edits: every change of a line's or a region's geometry is a recorded, attributed act.

One module per kind of write (as Zulip's ``zerver/actions``): ``lines`` (draw, edit,
delete), ``split_merge``, ``order`` (reading order), ``regions``. Each act checks the
geometry first (``validation``, with shapely), then writes the new state and a
``GeometryRevision`` (``revisions``) in one transaction, so a refused edit stores nothing.
What an act means for the text and the annotations on a line (split texts, merged texts,
orphaned annotations) lives in ``inscription.services.layout_text``, reached through ``archive.events``.
"""
