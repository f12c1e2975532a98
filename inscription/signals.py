"""Signal receivers of the inscription app (connected in InscriptionConfig.ready)."""
from inscription import annotation_signals  # noqa: F401,E402 - re-anchors annotations on new inscription versions
