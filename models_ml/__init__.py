"""Palimpsest's machine-learning package: plain PyTorch, never imports Django.

Sub-packages: ``synth`` (synthetic handwriting), ``htr`` (CRNN recognizer),
``segment`` (page to lines), ``summarise`` (LSTM summariser), ``registry``
(weights + JSON cards). The one CLI is ``python -m models_ml``.
"""
