"""Signals the archive sends when geometry changes, so the apps above it (inscription: texts and
annotations) follow within the same transaction, without archive importing them."""
from django.dispatch import Signal

# kwargs: left (the line, now the left part), right (the new line), old_baseline, x, user, act
line_split = Signal()
# kwargs: keep (the merged line), gone (the retired one), user, act
lines_merged = Signal()
# kwargs: line (retired), user, reason, act
line_retired = Signal()
