"""The memory layer's models, one module per concept."""
from inscription.models.inscriptions import Inscription, InscriptionAction, InscriptionKind, Layer, LayerKind
from inscription.models.jobs import Job, JobKind, JobState
from inscription.models.registry import ModelTask, ModelVersion

__all__ = [
    "Inscription",
    "InscriptionAction",
    "InscriptionKind",
    "Job",
    "JobKind",
    "JobState",
    "Layer",
    "LayerKind",
    "ModelTask",
    "ModelVersion",
]
