"""Weight-space interpolation of two recognizers of one lineage (a two-model "soup").

Why: a model fine-tuned from another usually stays in its parent's basin, so the straight line
between their weights holds models that trade what each learnt (Wortsman et al., model soups;
Ilharco et al., weight interpolation against forgetting). ``t`` is the share of the second model:
``(1 - t) * A + t * B``. Both parents are recorded in the card (``parents``), with their share.

``python -m models_ml interpolate A B --weight T --to DIR [--name NAME] [--lm-from A|B]``.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from models_ml.htr.lm import copy_lm


def interpolate_states(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor], t: float) -> dict[str, torch.Tensor]:
    """``(1 - t) * a + t * b`` key by key, computed in float32 (integer tensors are taken from ``b``)."""
    if not 0.0 <= t <= 1.0:
        raise ValueError(f"the weight must lie in [0, 1], not {t}")
    if a.keys() != b.keys():
        raise ValueError("the two models do not have the same tensors")
    out = {}
    for k in a:
        if a[k].shape != b[k].shape:
            raise ValueError(f"tensor {k} differs in shape: {tuple(a[k].shape)} against {tuple(b[k].shape)}")
        if a[k].is_floating_point():
            out[k] = ((1.0 - t) * a[k].float() + t * b[k].float()).to(b[k].dtype)
        else:
            out[k] = b[k]
    return out


def interpolate_models(a_dir: str | Path, b_dir: str | Path, t: float, out_dir: str | Path,
                       name: str | None = None, lm_from: str = "B", command: str | None = None) -> dict:
    """Write ``(1 - t) * A + t * B`` as a model directory (fp16 as stored, card from B, both parents recorded).

    The two cards must agree on architecture and charset (one lineage, same classes). The LM is copied
    from B (or A with ``lm_from="A"``); the decoding settings are B's, to be re-tuned (tune-lm).
    """
    from safetensors.torch import load_file

    from models_ml import registry

    cards = [registry.verify(d, task="htr") for d in (a_dir, b_dir)]
    for key in ("architecture", "charset"):
        if cards[0].get(key) != cards[1].get(key):
            raise ValueError(f"the two models differ in {key}: they cannot be interpolated")
    states = [load_file(str(Path(d) / registry.WEIGHTS)) for d in (a_dir, b_dir)]
    tensors = interpolate_states(states[0], states[1], t)
    card = {k: v for k, v in cards[1].items() if k not in ("sha256", "weights_bytes", "files", "metrics", "code_version")}
    parents = [{"name": c.get("name"), "version": c.get("version"), "sha256": c.get("sha256"), "share": share}
               for c, share in zip(cards, (round(1.0 - t, 6), round(t, 6)), strict=True)]
    card.update(name=name or cards[1].get("name"), version=registry.version_stamp(),
                parent=None, parents=parents,
                interpolation={"formula": "(1 - t) * A + t * B, per tensor, in float32 from the stored fp16",
                               "t": t, "A": parents[0], "B": parents[1], "lm_from": lm_from},
                command=command or f"interpolate_models({a_dir!s}, {b_dir!s}, {t})",
                training={"note": "no training: weight interpolation of the two parents",
                          "parents_training": [c.get("training") for c in cards]})
    card.setdefault("decoding", {}).pop("lm_tuning", None)  # B's tuning does not describe this model
    out = registry.save_model_dir(out_dir, tensors, card)
    copy_lm(a_dir if lm_from == "A" else b_dir, out_dir)
    return out


def cmd_interpolate(args: argparse.Namespace) -> int:
    from models_ml.cli import command_line, model_errors_as_cli_errors, require_model_dirs

    require_model_dirs(args.a, args.b)
    with model_errors_as_cli_errors():
        card = interpolate_models(args.a, args.b, args.weight, args.to, name=args.name, lm_from=args.lm_from,
                                  command=command_line("interpolate"))
    print(json.dumps({"exported": args.to, "sha256": card["sha256"], "parents": card["parents"]}))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("interpolate", help="(1 - t)·A + t·B: weight interpolation of two models of one lineage")
    p.add_argument("a", metavar="A", help="model directory (share 1 - t)")
    p.add_argument("b", metavar="B", help="model directory (share t); its card and decoding settings are kept")
    p.add_argument("--weight", type=float, required=True, metavar="T", help="B's share, 0..1")
    p.add_argument("--to", required=True, help="model directory to write")
    p.add_argument("--name", help="the new model's name (default: B's)")
    p.add_argument("--lm-from", choices=["A", "B"], default="B", help="whose lm.json to copy (default B)")
    p.set_defaults(func=cmd_interpolate)
