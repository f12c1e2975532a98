"""The one command line of models_ml.

Each area registers its own sub-commands, so the recognizer and the summariser
never edit the same file: a module listed in ``COMMAND_MODULES`` exposes
``register(subparsers)`` and sets ``func`` on each parser it adds. ``func``
receives the parsed arguments and returns an exit code.
"""
from __future__ import annotations

import argparse
import importlib
import shlex
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

COMMAND_MODULES = (
    "models_ml.htr.commands",
    "models_ml.htr.train_commands",
    "models_ml.htr.tune",
    "models_ml.htr.tune_width",
    "models_ml.htr.soup",
    "models_ml.htr.widen",
    "models_ml.summarise.commands",
    "models_ml.segment.commands",
)


class CliError(Exception):
    """A user-facing error: printed on stderr without a traceback, exit code 2."""


def command_line(name: str) -> str:
    """The command as it was typed, for the card of the model it writes."""
    return f"python -m models_ml {name} " + " ".join(shlex.quote(a) for a in sys.argv[2:] if a)


def require_model_dirs(*dirs: str) -> None:
    """A ``CliError`` naming the first of ``dirs`` that is not a folder."""
    for d in dirs:
        if not Path(d).is_dir():
            raise CliError(f"model not found: {d}")


@contextmanager
def model_errors_as_cli_errors() -> Iterator[None]:
    """A model that cannot be read or an argument it refuses becomes a one-line CLI error."""
    from models_ml.registry import ModelError

    try:
        yield
    except (ValueError, ModelError) as exc:
        raise CliError(str(exc)) from exc


def open_image(path: str, min_side: int = 2, too_small: str = "empty image"):  # noqa: ANN201 - PIL imported lazily
    """The image at ``path``, loaded; a missing, unreadable or too small file is a ``CliError`` saying which."""
    from PIL import Image, UnidentifiedImageError

    p = Path(path)
    if not p.is_file():
        raise CliError(f"image not found: {path}")
    try:
        with Image.open(p) as img:
            img.load()
            out = img.copy()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise CliError(f"cannot read image {path}: {exc}") from exc
    if out.width < min_side or out.height < min_side:
        raise CliError(f"{too_small}: {path} is {out.width}x{out.height} pixels")
    return out


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m models_ml", description=__doc__.splitlines()[0])
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name in COMMAND_MODULES:  # every area is built: a missing module is an error, never a missing command
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    from models_ml.runtime import keep_freed_memory

    args = build_parser().parse_args(argv)
    keep_freed_memory()  # the same allocator settings as a worker's, so CLI and job figures compare
    try:
        return int(args.func(args) or 0)
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
