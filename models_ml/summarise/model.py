"""SummaRuNNer-style extractive summariser (Nallapati et al., 2017), plain PyTorch.

Word-level BiLSTM → one vector per sentence; sentence-level BiLSTM → one
vector per sentence in document context; a logistic scorer combines content,
salience (vs. the document vector), novelty (vs. the running summary) and
absolute/relative position. Novelty is computed sequentially in document order,
as in the paper, so training and inference score sentences the same way.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence


@dataclass
class ModelConfig:
    """Hyper-parameters; stored verbatim in the model card so a load rebuilds the same net."""

    vocab_size: int
    emb_dim: int = 100
    word_hidden: int = 100
    sent_hidden: int = 100
    pos_buckets: int = 60
    rel_buckets: int = 10
    pos_dim: int = 16
    dropout: float = 0.3
    max_tokens: int = 40

    def to_dict(self) -> dict:
        return asdict(self)


class SummaRuNNer(nn.Module):
    """Scores every sentence of one document; see module docstring."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Embedding(cfg.vocab_size, cfg.emb_dim, padding_idx=0)
        self.word_rnn = nn.LSTM(cfg.emb_dim, cfg.word_hidden, batch_first=True, bidirectional=True)
        self.sent_rnn = nn.LSTM(2 * cfg.word_hidden, cfg.sent_hidden, batch_first=True, bidirectional=True)
        h = 2 * cfg.sent_hidden
        self.doc_proj = nn.Linear(h, h)
        self.content = nn.Linear(h, 1, bias=False)
        self.salience = nn.Bilinear(h, h, 1, bias=False)
        self.novelty = nn.Bilinear(h, h, 1, bias=False)
        self.abs_pos = nn.Embedding(cfg.pos_buckets, cfg.pos_dim)
        self.rel_pos = nn.Embedding(cfg.rel_buckets, cfg.pos_dim)
        self.abs_score = nn.Linear(cfg.pos_dim, 1, bias=False)
        self.rel_score = nn.Linear(cfg.pos_dim, 1, bias=False)
        self.bias = nn.Parameter(torch.zeros(1))
        self.drop = nn.Dropout(cfg.dropout)

    def encode_sentences(self, tokens: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """(N, T) token ids + (N,) lengths → (N, 2·word_hidden) masked-mean sentence vectors."""
        emb = self.drop(self.embed(tokens))
        packed = pack_padded_sequence(emb, lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, _ = self.word_rnn(packed)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=tokens.shape[1])
        mask = (torch.arange(tokens.shape[1], device=tokens.device)[None, :] < lengths[:, None]).unsqueeze(-1)
        return (out * mask).sum(1) / lengths.clamp(min=1).unsqueeze(-1).to(out.dtype)

    def positions(self, n: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        idx = torch.arange(n, device=device)
        absolute = idx.clamp(max=self.cfg.pos_buckets - 1)
        relative = (idx * self.cfg.rel_buckets // max(n, 1)).clamp(max=self.cfg.rel_buckets - 1)
        return absolute, relative

    def forward(self, tokens: torch.Tensor, lengths: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Logits (N,) for the N sentences of one document.

        With ``labels`` (training) the running summary is built from the oracle
        labels (teacher forcing: one cumulative sum instead of an N-step loop,
        which dominates the step time on a shared CPU). Without them (inference)
        it is built sequentially from the model's own probabilities, as in the paper.
        """
        n = tokens.shape[0]
        sent_vecs = self.encode_sentences(tokens, lengths)
        h, _ = self.sent_rnn(self.drop(sent_vecs).unsqueeze(0))
        h = h.squeeze(0)
        doc = torch.tanh(self.doc_proj(h.mean(0, keepdim=True))).expand_as(h)
        absolute, relative = self.positions(n, tokens.device)
        static = (
            self.content(h).squeeze(-1)
            + self.salience(h, doc).squeeze(-1)
            + self.abs_score(self.abs_pos(absolute)).squeeze(-1)
            + self.rel_score(self.rel_pos(relative)).squeeze(-1)
            + self.bias
        )
        # Novelty: h_j · W_r · tanh(s_j), s_j = Σ_{i<j} P(y_i) h_i. Precompute h W_r once.
        hw = h @ self.novelty.weight[0]  # (N, H)
        if labels is not None:
            running = torch.cumsum(labels.to(h.dtype).unsqueeze(-1) * h, 0) - labels.to(h.dtype).unsqueeze(-1) * h
            return static - (hw * torch.tanh(running)).sum(-1)
        if not torch.is_grad_enabled():
            return torch.from_numpy(_novelty_numpy(static.numpy(), h.numpy(), hw.numpy())).to(static.dtype)
        summary = torch.zeros(h.shape[1], dtype=h.dtype, device=h.device)
        logits = []
        for j in range(n):
            logit = static[j] - hw[j] @ torch.tanh(summary)
            logits.append(logit)
            summary = summary + torch.sigmoid(logit) * h[j]
        return torch.stack(logits) if logits else static


def _novelty_numpy(static: np.ndarray, h: np.ndarray, hw: np.ndarray) -> np.ndarray:
    """Inference-only copy of the sequential novelty loop: numpy's per-op cost is a fraction of torch's."""
    summary = np.zeros(h.shape[1], dtype=np.float64)
    out = np.empty(len(static), dtype=np.float64)
    for j in range(len(static)):
        logit = float(static[j]) - float(hw[j] @ np.tanh(summary))
        out[j] = logit
        summary += h[j] / (1.0 + math.exp(-logit))
    return out


def batch_document(token_ids: list[list[int]], max_tokens: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Pad one document's sentences into (N, T) ids and (N,) lengths; empty sentences get one UNK."""
    rows = [ids[:max_tokens] or [1] for ids in token_ids]
    width = max((len(r) for r in rows), default=1)
    tokens = torch.zeros(len(rows), width, dtype=torch.long)
    for i, r in enumerate(rows):
        tokens[i, : len(r)] = torch.tensor(r, dtype=torch.long)
    lengths = torch.tensor([len(r) for r in rows], dtype=torch.long)
    return tokens, lengths
