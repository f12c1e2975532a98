"""Text that cannot be stored or sent: lone surrogates and NUL characters.

Why: a lone surrogate (``"\\ud800"`` in JSON) is valid to Python's JSON parser but cannot be
encoded as UTF-8, so one stored row breaks every later read of it; PostgreSQL refuses NUL in
text and JSONB outright. Such input is refused at the edge (``palimpsest.middleware``) and in
every JSON that arrives by another way (files, fetched manifests), with one error code.
Deeply nested JSON is refused too: parsers and walkers recurse, and 100,000 levels overflow.
"""
from __future__ import annotations

import json
import re
from typing import Any

from palimpsest.errors import InputError

BAD_TEXT = re.compile("[\x00\ud800-\udfff]")
MAX_JSON_DEPTH = 64


def bad_text(value: str) -> bool:
    """True if ``value`` holds a NUL or a lone surrogate."""
    return BAD_TEXT.search(value) is not None


def clean_text(value: str) -> str:
    """The repair: NUL removed, each lone surrogate replaced by U+FFFD."""
    return BAD_TEXT.sub(lambda m: "" if m.group() == "\x00" else "\ufffd", value)


def find_problem(data: Any, max_depth: int = MAX_JSON_DEPTH) -> str | None:
    """Why ``data`` (parsed JSON) is refused, or None. Iterative, so depth itself cannot overflow."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if bad_text(item):
                return "it contains a NUL character or a lone surrogate (invalid Unicode)"
        elif isinstance(item, dict | list):
            if depth > max_depth:
                return f"it is nested more than {max_depth} levels deep"
            if isinstance(item, dict):
                for key, value in item.items():
                    stack.append((key, depth))
                    stack.append((value, depth + 1))
            else:
                stack.extend((value, depth + 1) for value in item)
    return None


def check(data: Any, what: str = "The request") -> Any:
    """Raise a 400 ``invalid_text`` if ``data`` cannot be stored; return it unchanged otherwise."""
    problem = find_problem(data)
    if problem:
        raise InputError(f"{what} was refused: {problem}.", code="invalid_text")
    return data


def loads(raw: str | bytes, what: str = "The JSON") -> Any:
    """``json.loads`` that turns overflow and unstorable text into a 400 (``ValueError`` passes through)."""
    try:
        data = json.loads(raw)
    except RecursionError as exc:
        raise InputError(f"{what} was refused: it is nested too deeply.", code="invalid_text") from exc
    return check(data, what)


def repair(data: Any) -> tuple[Any, int]:
    """A copy of parsed JSON with every string cleaned, and how many strings changed."""
    changed = 0

    def fix(item: Any) -> Any:
        nonlocal changed
        if isinstance(item, str):
            if bad_text(item):
                changed += 1
                return clean_text(item)
            return item
        if isinstance(item, dict):
            return {fix(k): fix(v) for k, v in item.items()}
        if isinstance(item, list):
            return [fix(v) for v in item]
        return item

    return fix(data), changed
