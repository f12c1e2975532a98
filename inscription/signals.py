"""Signal receivers of the inscription app (connected in InscriptionConfig.ready)."""
