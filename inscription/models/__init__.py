"""The memory layer's models, one module per concept."""
from inscription.models.annotations import Annotation, AnnotationAction, AnnotationVersion, Motivation
from inscription.models.comparisons import Comparison, ComparisonLine, ComparisonState, LineStatus
from inscription.models.inscriptions import Inscription, InscriptionAction, InscriptionKind, Layer, LayerKind
from inscription.models.reflections import Citation, Reflection, ReflectionAction, ReflectionVersion
from inscription.models.traces import ReadingTrace

__all__ = [
    "Annotation",
    "AnnotationAction",
    "AnnotationVersion",
    "Citation",
    "Comparison",
    "ComparisonLine",
    "ComparisonState",
    "LineStatus",
    "Motivation",
    "Reflection",
    "ReflectionAction",
    "ReflectionVersion",
    "Inscription",
    "InscriptionAction",
    "InscriptionKind",
    "Layer",
    "LayerKind",
    "ReadingTrace",
]
