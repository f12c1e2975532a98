"""Train the SummaRuNNer summariser on ACLSum (train split; model selection on val).

One command reproduces the shipped model (fixed seed, CPU):
    nice -n 5 python -m models_ml summarise-train --out models_ml/store/summarise-default

Each training paper yields two label sets from the greedy ROUGE oracle: one
against the concatenated aspect summaries (the evaluation target) and one
against the abstract (a second, longer view of what matters). Both losses are
applied to the same forward pass, which halves the CPU cost of using both.
"""
from __future__ import annotations

import datetime as _dt
import json
import platform
import random
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from ..paths import shared_data
from .api import Summariser
from .data import DEFAULT_ACLSUM, Paper, Vocab, load_aclsum, tokenize
from .embeddings import general_text_lines, train_skipgram
from .evaluate import BUDGET_WORDS, model_ranker, rouge_table
from .model import ModelConfig, SummaRuNNer, batch_document
from .oracle import oracle_labels
from .store import save_model

DEFAULT_TEXTS = shared_data() / "texts"


@dataclass
class TrainConfig:
    out: Path
    data: Path = DEFAULT_ACLSUM
    texts: Path = DEFAULT_TEXTS
    seed: int = 13
    epochs: int = 12
    lr: float = 1e-3
    abstract_weight: float = 0.5
    vocab_size: int = 25_000
    emb_dim: int = 64
    hidden: int = 64
    max_sentences: int = 300
    freeze_embeddings: bool = True
    threads: int = 1
    general_lines: int = 1_000


@dataclass
class Example:
    tokens: torch.Tensor
    lengths: torch.Tensor
    y_aspect: torch.Tensor
    y_abstract: torch.Tensor


def _log(msg: str) -> None:
    print(f"[{_dt.datetime.now(_dt.UTC):%H:%M:%S}] {msg}", file=sys.stderr, flush=True)


def make_examples(papers: list[Paper], vocab: Vocab, cfg: ModelConfig, max_sentences: int) -> list[Example]:
    """Tensorise papers with their two oracle label sets."""
    out = []
    for p in papers:
        sents = p.sentences[:max_sentences]
        if not sents:
            continue
        tokens, lengths = batch_document([vocab.encode(tokenize(s)) for s in sents], cfg.max_tokens)
        out.append(Example(tokens, lengths,
                           torch.tensor(oracle_labels(sents, p.aspect_summary)),
                           torch.tensor(oracle_labels(sents, p.abstract))))
    return out


def code_version() -> str:
    try:
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                             cwd=Path(__file__).parent, timeout=5)
        return rev.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def build_vocab_and_vectors(train: list[Paper], tc: TrainConfig) -> tuple[Vocab, torch.Tensor, dict]:
    """Vocabulary from ACLSum train bodies + general prose; skip-gram vectors for it."""
    acl = [tokenize(s) for p in train for s in p.sentences]
    general = [tokenize(line) for line in general_text_lines(tc.texts, tc.general_lines)] if tc.texts.is_dir() else []
    vocab = Vocab.build(acl + acl + general, tc.vocab_size, min_count=2)  # ACL counted twice: domain first
    t0 = time.perf_counter()
    vectors = train_skipgram(acl + general, vocab, dim=tc.emb_dim, seed=tc.seed)
    info = {"corpus_tokens": sum(map(len, acl)) + sum(map(len, general)),
            "acl_tokens": sum(map(len, acl)), "general_lines": len(general),
            "seconds": round(time.perf_counter() - t0, 1), "vocab_size": len(vocab)}
    return vocab, vectors, info


def train(tc: TrainConfig) -> dict:
    """Train, select the best epoch by val ROUGE-1, save, evaluate on test; return the card."""
    started = time.perf_counter()
    torch.set_num_threads(tc.threads)
    random.seed(tc.seed)
    torch.manual_seed(tc.seed)
    train_papers, val_papers = load_aclsum("train", tc.data), load_aclsum("val", tc.data)
    _log(f"loaded {len(train_papers)} train / {len(val_papers)} val papers")
    vocab, vectors, emb_info = build_vocab_and_vectors(train_papers, tc)
    _log(f"vocab {len(vocab)}; skip-gram on {emb_info['corpus_tokens']} tokens in {emb_info['seconds']}s")
    cfg = ModelConfig(vocab_size=len(vocab), emb_dim=tc.emb_dim, word_hidden=tc.hidden, sent_hidden=tc.hidden)
    model = SummaRuNNer(cfg)
    with torch.no_grad():
        model.embed.weight.copy_(vectors / vectors.std().clamp(min=1e-6) * 0.1)
        model.embed.weight[0] = 0
    model.embed.weight.requires_grad_(not tc.freeze_embeddings)
    t0 = time.perf_counter()
    examples = make_examples(train_papers, vocab, cfg, tc.max_sentences)
    _log(f"oracle labels for {len(examples)} papers in {time.perf_counter() - t0:.0f}s")
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=tc.lr)
    bce = nn.BCEWithLogitsLoss()
    summariser = Summariser(model, vocab, {}, "cpu")
    best = (-1.0, -1, None)
    history = []
    for epoch in range(1, tc.epochs + 1):
        model.train()
        order = list(range(len(examples)))
        random.shuffle(order)
        total = 0.0
        for i in order:
            ex = examples[i]
            logits = model(ex.tokens, ex.lengths, labels=ex.y_aspect)
            loss = bce(logits, ex.y_aspect) + tc.abstract_weight * bce(logits, ex.y_abstract)
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 2.0)
            opt.step()
            total += loss.item()
        model.eval()
        val = rouge_table(val_papers, model_ranker(summariser))
        history.append({"epoch": epoch, "loss": round(total / len(examples), 4),
                        **{k: round(v, 2) for k, v in val.items()}})
        _log(f"epoch {epoch}: loss {total / len(examples):.4f} val R1 {val['rouge1']:.2f} "
             f"R2 {val['rouge2']:.2f} RL {val['rougeL']:.2f}")
        if val["rouge1"] > best[0]:
            best = (val["rouge1"], epoch, {k: v.detach().clone() for k, v in model.state_dict().items()})
            # Save every improvement so an interrupted run still leaves a usable model.
            save_model(model, vocab, tc.out, make_card(tc, emb_info, epoch, history, val, {},
                                                      time.perf_counter() - started))
    model.load_state_dict(best[2])
    model.eval()
    val = rouge_table(val_papers, model_ranker(summariser))
    test_papers = load_aclsum("test", tc.data)
    test = rouge_table(test_papers, model_ranker(summariser))
    _log(f"best epoch {best[1]}: val R1 {val['rouge1']:.2f}; test R1 {test['rouge1']:.2f}")
    card = make_card(tc, emb_info, best[1], history, val, test, time.perf_counter() - started)
    card = save_model(model, vocab, tc.out, card)
    _log(f"saved to {tc.out}")
    return card


def make_card(tc: TrainConfig, emb_info: dict, best_epoch: int, history: list, val: dict, test: dict,
              seconds: float) -> dict:
    rounded = lambda d: {k: round(v, 2) for k, v in d.items()}  # noqa: E731
    return {
        "name": "summarise-default",
        "version": "1.0.0",
        "task": "summarise",
        "description": "Extractive summariser (SummaRuNNer-style BiLSTM) that ranks input sentences.",
        "vocabulary": {"file": "vocab.txt", "size": emb_info.get("vocab_size", tc.vocab_size), "pad": "<pad>", "unk": "<unk>",
                       "number_token": "<num>"},
        "preprocessing": {
            "sentence_splitter": "models_ml.summarise.data.split_sentences (regex; blank lines end sentences; "
                                 "runs over 80 words are cut at line ends / every 80 words)",
            "tokenizer": "models_ml.summarise.data.tokenize (lower-case letter runs; digit runs → <num>)",
            "max_tokens_per_sentence": ModelConfig.max_tokens,
        },
        "training": {
            "data": "ACLSum train split (100 papers): body text → greedy ROUGE-1+2 oracle labels against "
                    "the concatenated aspect summaries and, with weight "
                    f"{tc.abstract_weight}, against the abstract. Model selection: best val ROUGE-1.",
            "embeddings": "skip-gram pre-training on ACLSum train bodies + public-domain prose "
                          f"(../shared/data/texts): {emb_info}",
            "seed": tc.seed, "epochs": tc.epochs, "best_epoch": best_epoch, "lr": tc.lr,
            "optimizer": "Adam, grad-norm clip 2.0, one paper per step",
            "history": history,
            "command": "nice -n 5 python -m models_ml summarise-train --out models_ml/store/summarise-default",
            "seconds": round(seconds),
            "where": f"{platform.node() or 'unknown'} CPU, {tc.threads} threads, torch {torch.__version__}",
            "finished_utc": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        },
        "metrics": {
            "protocol": f"ACLSum body text → {BUDGET_WORDS}-word summary vs. concatenated aspect summaries; "
                        "rouge-score F1 ×100, use_stemmer=True",
            "val": rounded(val), "test": rounded(test) if test else "not yet evaluated",
        },
        "licence": "Weights: CC BY 4.0 (trained on ACLSum/ACL Anthology text, CC BY 4.0; ACLSum MIT). Code: project licence.",
        "code_version": code_version(),
    }


def dump(card: dict) -> str:
    return json.dumps(card, indent=2)
