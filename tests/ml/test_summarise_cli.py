"""``python -m models_ml summarise``: JSON shape, bad files and bad models exit cleanly."""
from __future__ import annotations

import json

import pytest
from summarise_fixtures import LETTER, one_torch_thread, save_tiny  # noqa: F401

from models_ml.cli import main


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return save_tiny(tmp_path_factory.mktemp("tiny-cli"))


def _records(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def test_one_json_record_per_file(tmp_path, model_dir, capsys) -> None:
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text(LETTER, encoding="utf-8")
    b.write_text("Only one line here", encoding="utf-8")
    assert main(["summarise", "--model", str(model_dir), "--sentences", "2", str(a), str(b)]) == 0
    recs = _records(capsys.readouterr().out)
    assert [r["file"] for r in recs] == [str(a), str(b)]
    first = recs[0]
    assert set(first) == {"file", "summary", "sentences"}
    assert len(first["sentences"]) == 2
    assert set(first["sentences"][0]) >= {"text", "score", "position"}
    assert first["summary"] == " ".join(s["text"] for s in first["sentences"])
    assert recs[1]["summary"] == "Only one line here"


def test_word_budget_flag(tmp_path, model_dir, capsys) -> None:
    a = tmp_path / "a.txt"
    a.write_text(LETTER, encoding="utf-8")
    assert main(["summarise", "--model", str(model_dir), "--words", "20", str(a)]) == 0
    (rec,) = _records(capsys.readouterr().out)
    assert len(rec["summary"].split()) <= 20 or len(rec["sentences"]) == 1


def test_missing_file_is_an_error_without_traceback(tmp_path, model_dir, capsys) -> None:
    good = tmp_path / "good.txt"
    good.write_text(LETTER, encoding="utf-8")
    code = main(["summarise", "--model", str(model_dir), str(tmp_path / "nope.txt"), str(good)])
    out, err = capsys.readouterr()
    assert code == 2
    assert "nope.txt: no such file" in err and "Traceback" not in err
    assert [r["file"] for r in _records(out)] == [str(good)]  # the good file is still summarised


def test_undecodable_bytes_fall_back_with_a_warning(tmp_path, model_dir, capsys) -> None:
    f = tmp_path / "latin.txt"
    f.write_bytes("The caf\xe9 opened in 1901. It closed in 1950.".encode("cp1252") + b"\x81")
    assert main(["summarise", "--model", str(model_dir), str(f)]) == 0
    out, err = capsys.readouterr()
    assert "not valid UTF-8" in err and ("cp1252" in err or "latin-1" in err)
    (rec,) = _records(out)
    assert "café" in rec["summary"]


def test_empty_file_gives_empty_summary(tmp_path, model_dir, capsys) -> None:
    f = tmp_path / "empty.txt"
    f.write_bytes(b"")
    assert main(["summarise", "--model", str(model_dir), str(f)]) == 0
    out, err = capsys.readouterr()
    assert _records(out) == [{"file": str(f), "summary": "", "sentences": []}]
    assert "empty" in err


def test_corrupt_model_is_refused_cleanly(tmp_path, capsys) -> None:
    bad = save_tiny(tmp_path / "bad")
    with open(bad / "model.safetensors", "r+b") as fh:
        fh.seek(100)
        fh.write(b"\x00\x01\x02\x03")
    text = tmp_path / "t.txt"
    text.write_text(LETTER, encoding="utf-8")
    assert main(["summarise", "--model", str(bad), str(text)]) == 2
    err = capsys.readouterr().err
    assert "sha256 mismatch" in err and "Traceback" not in err


def test_bad_budget_is_a_user_error(tmp_path, model_dir, capsys) -> None:
    text = tmp_path / "t.txt"
    text.write_text(LETTER, encoding="utf-8")
    assert main(["summarise", "--model", str(model_dir), "--sentences", "0", str(text)]) == 2
    assert "at least 1" in capsys.readouterr().err
