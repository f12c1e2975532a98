"""Quick skip-gram (negative sampling) word vectors, so the summariser does not
learn its embeddings from 150 papers alone.

Corpus: ACLSum train/val paper bodies (in-domain) plus the public-domain
prose in ../shared/data/texts (general English). A single pass on CPU takes
about a minute; the vectors only need to be decent, not state of the art.
"""
from __future__ import annotations

import math
import random
from array import array
from collections.abc import Iterable
from pathlib import Path

import torch
from torch import nn

from .data import Vocab, tokenize


def general_text_lines(root: Path, max_lines: int = 40_000) -> list[str]:
    """About ``max_lines`` non-empty lines spread evenly over every .txt/.md file under ``root``.

    An equal share per file mixes novels, plays and addresses instead of
    taking the first novel whole; sorted paths keep it reproducible.
    """
    files = sorted(p for p in root.rglob("*") if p.suffix in {".txt", ".md"})
    share = max(max_lines // max(len(files), 1), 20)
    lines: list[str] = []
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        lines.extend([line for line in text.splitlines() if line.strip()][:share])
    return lines


def train_skipgram(
    token_lists: Iterable[list[str]],
    vocab: Vocab,
    dim: int = 100,
    window: int = 4,
    negatives: int = 5,
    epochs: int = 1,
    batch_size: int = 4096,
    seed: int = 13,
) -> torch.Tensor:
    """Return a (len(vocab), dim) embedding matrix; row 0 (padding) is zero."""
    rng = random.Random(seed)
    torch.manual_seed(seed)
    ids = [vocab.encode(t) for t in token_lists]
    counts = torch.bincount(torch.tensor([w for seq in ids for w in seq], dtype=torch.long),
                            minlength=len(vocab)).float()
    total = float(counts.sum())
    # Mikolov subsampling of frequent words, and the unigram^0.75 noise distribution.
    freq = counts / max(total, 1.0)
    keep = torch.clamp((torch.sqrt(freq / 1e-4) + 1) * 1e-4 / freq.clamp(min=1e-12), max=1.0).tolist()
    noise = counts.pow(0.75)
    noise[:2] = 0
    centres, contexts = array("i"), array("i")
    for _ in range(epochs):
        for seq in ids:
            seq = [w for w in seq if w > 1 and rng.random() < keep[w]]
            for i, w in enumerate(seq):
                span = rng.randint(1, window)
                for j in range(max(0, i - span), min(len(seq), i + span + 1)):
                    if j != i:
                        centres.append(w)
                        contexts.append(seq[j])
    centre_t = torch.frombuffer(centres, dtype=torch.int32).long()
    context_t = torch.frombuffer(contexts, dtype=torch.int32).long()
    perm = torch.randperm(len(centre_t))
    # Sparse gradients + SparseAdam touch only the rows in each batch: dense Adam over the
    # whole table costs more than the rest of the step on a shared CPU.
    inp = nn.Embedding(len(vocab), dim, sparse=True)
    out = nn.Embedding(len(vocab), dim, sparse=True)
    nn.init.uniform_(inp.weight, -0.5 / dim, 0.5 / dim)
    nn.init.zeros_(out.weight)
    opt = torch.optim.SparseAdam(list(inp.parameters()) + list(out.parameters()), lr=0.005)
    steps = math.ceil(len(perm) / batch_size)
    for step in range(steps):
        idx = perm[step * batch_size:(step + 1) * batch_size]
        c, o = inp(centre_t[idx]), out(context_t[idx])
        neg = out(torch.multinomial(noise, len(idx) * negatives, replacement=True).view(len(idx), negatives))
        pos_loss = nn.functional.logsigmoid((c * o).sum(-1))
        neg_loss = nn.functional.logsigmoid(-(neg @ c.unsqueeze(-1)).squeeze(-1)).sum(-1)
        loss = -(pos_loss + neg_loss).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    weights = inp.weight.detach().clone()
    weights[0] = 0
    return weights


def corpus_tokens(texts: Iterable[str]) -> list[list[str]]:
    return [tokenize(t) for t in texts]
