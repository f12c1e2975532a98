"""Widen a recognizer's BiLSTM without changing what it reads (function-preserving growth).

Why: the shipped height-32 network under-fits its own training wills (17 % greedy CER on the
lines it trained on), so it needs capacity; but a larger network trained from scratch does not
converge in a CPU session. Growing the trained one keeps everything it learnt: every new hidden
unit gets small random *incoming* weights and zero *outgoing* weights (to the other units' gates,
to the next layer and to the output layer), so the widened network computes exactly the same
log-probabilities until training moves those zeros (Chen et al., Net2Net, 2016, with the zero
variant of the new units' fan-out). The new units' activations are non-zero, so the gradient
reaches their outgoing weights on the first step.

``python -m models_ml widen MODEL --hidden H --to DIR [--seed S]``; then ``train --init-from DIR``.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from models_ml.htr.lm import copy_lm

GATES = 4  # torch.nn.LSTM stacks the input, forget, cell and output gates' rows


def _gate_rows(old: int, new: int) -> torch.Tensor:
    """Row indices, in the widened (4·new)-row gate matrix, of the old (4·old) rows, gate by gate."""
    return torch.cat([torch.arange(g * new, g * new + old) for g in range(GATES)])


def _bidirectional_columns(old: int, new: int) -> torch.Tensor:
    """Column indices, in a widened [forward | backward] feature vector, of the old features."""
    return torch.cat([torch.arange(old), torch.arange(new, new + old)])


def widen_lstm_state(state: dict[str, torch.Tensor], layers: int, old: int, new: int,
                     generator: torch.Generator, init_scale: float = 0.05) -> dict[str, torch.Tensor]:
    """The state dict of the same CRNN with ``new`` hidden units per direction instead of ``old``.

    Old weights keep their place; new units' incoming weights are uniform in ±``init_scale`` and
    every weight *from* a new unit (recurrent, next layer, head) is zero, biases of new units zero.
    """
    if new < old:
        raise ValueError(f"a widened LSTM needs at least {old} hidden units, not {new}")
    out = dict(state)
    rows = _gate_rows(old, new)
    feature_cols = _bidirectional_columns(old, new)
    for layer in range(layers):
        for suffix in ("", "_reverse"):
            w_ih = state[f"lstm.weight_ih_l{layer}{suffix}"]
            w_hh = state[f"lstm.weight_hh_l{layer}{suffix}"]
            in_new = w_ih.shape[1] if layer == 0 else 2 * new
            ih = (torch.rand(GATES * new, in_new, generator=generator) * 2 - 1) * init_scale
            if layer == 0:
                ih[rows] = w_ih.float()
            else:
                # rows of old units: their weights from old units kept, from new units zero
                ih[rows] = 0.0
                ih[rows.unsqueeze(1), feature_cols.unsqueeze(0)] = w_ih.float()
            hh = (torch.rand(GATES * new, new, generator=generator) * 2 - 1) * init_scale
            hh[rows] = 0.0
            hh[rows.unsqueeze(1), torch.arange(old).unsqueeze(0)] = w_hh.float()
            out[f"lstm.weight_ih_l{layer}{suffix}"] = ih.to(w_ih.dtype)
            out[f"lstm.weight_hh_l{layer}{suffix}"] = hh.to(w_hh.dtype)
            for kind in ("ih", "hh"):
                bias = state[f"lstm.bias_{kind}_l{layer}{suffix}"]
                wide = torch.zeros(GATES * new, dtype=torch.float32)
                wide[rows] = bias.float()
                out[f"lstm.bias_{kind}_l{layer}{suffix}"] = wide.to(bias.dtype)
    head = state["head.weight"]
    wide_head = torch.zeros(head.shape[0], 2 * new, dtype=torch.float32)
    wide_head[:, feature_cols] = head.float()
    out["head.weight"] = wide_head.to(head.dtype)
    return out


def widen_model(model_dir: str | Path, hidden: int, out_dir: str | Path, seed: int = 0,
                name: str | None = None, command: str | None = None) -> dict:
    """Write ``model_dir`` widened to ``hidden`` LSTM units per direction as a model directory.

    The card keeps the charset, preprocessing and decoding settings (the LM is copied); its parent
    is the source model, and ``widened`` records the growth. Returns the new card."""
    from safetensors.torch import load_file

    from models_ml import registry

    card = registry.verify(model_dir, task="htr")
    config = dict(card["architecture"]["config"])
    old = int(config["lstm_hidden"])
    if hidden <= old:
        raise ValueError(f"the model already has {old} hidden units per direction; ask for more than {old}")
    state = load_file(str(Path(model_dir) / registry.WEIGHTS))
    generator = torch.Generator().manual_seed(seed)
    tensors = widen_lstm_state(state, int(config["lstm_layers"]), old, hidden, generator)
    config["lstm_hidden"] = hidden
    new_card = {k: v for k, v in card.items()
                if k not in ("sha256", "weights_bytes", "files", "metrics", "code_version", "parents",
                             "interpolation")}
    new_card["architecture"] = {**card["architecture"], "config": config}
    new_card.update(
        name=name or card.get("name"), version=registry.version_stamp(),
        parent={k: card.get(k) for k in ("name", "version", "sha256")},
        widened={"from_hidden": old, "to_hidden": hidden, "seed": seed,
                 "method": "new units: incoming weights U(±0.05), outgoing weights and biases zero "
                           "(the widened network reads exactly as its parent until trained)"},
        command=command or f"widen_model({model_dir!s}, {hidden})",
        training={"note": "no training: the parent's weights, widened", "parent_training": card.get("training")})
    out = registry.save_model_dir(out_dir, tensors, new_card)
    copy_lm(model_dir, out_dir)
    return out


def cmd_widen(args: argparse.Namespace) -> int:
    from models_ml.cli import command_line, model_errors_as_cli_errors, require_model_dirs

    require_model_dirs(args.model)
    with model_errors_as_cli_errors():
        card = widen_model(args.model, args.hidden, args.to, seed=args.seed, name=args.name,
                           command=command_line("widen"))
    print(json.dumps({"exported": args.to, "sha256": card["sha256"], "widened": card["widened"]}))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("widen", help="grow a recognizer's BiLSTM, reading exactly as before until trained")
    p.add_argument("model", help="model directory")
    p.add_argument("--hidden", type=int, required=True, help="LSTM units per direction (more than the model's)")
    p.add_argument("--to", required=True, help="model directory to write")
    p.add_argument("--seed", type=int, default=0, help="seed of the new units' incoming weights")
    p.add_argument("--name", help="the new model's name (default: the source's)")
    p.set_defaults(func=cmd_widen)
