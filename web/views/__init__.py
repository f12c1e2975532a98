"""UI views, one module per concept (collections, documents, workspace, annotate, compare, reflect, jobs, models)."""
