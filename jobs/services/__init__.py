"""Services of the jobs app: model versions mirrored from the model store."""
