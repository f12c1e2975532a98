"""Extractive LSTM summariser (SummaRuNNer family). Public API: ``models_ml.summarise.api``.

Modules: data (splitter, tokenizer, ACLSum), oracle (greedy ROUGE labels), model,
embeddings (skip-gram), train, store (safetensors + card + sha256), baselines (Lead,
sumy TextRank/LexRank offline), evaluate (ROUGE protocol), commands (CLI).
Nothing here imports torch at package import time.
"""
