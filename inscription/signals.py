"""Signal receivers of the inscription app (connected in InscriptionConfig.ready)."""
from __future__ import annotations

from inscription import annotation_signals  # noqa: F401 - re-anchors annotations on new inscription versions
