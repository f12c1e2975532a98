"""The memory layer: inscriptions, annotations, comparisons, reflections, models and jobs."""
