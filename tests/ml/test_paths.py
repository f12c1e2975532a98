"""The shared data folder is found in one place, beside the repo or where the environment says."""
from __future__ import annotations

from pathlib import Path

from models_ml import paths


def test_shared_data_defaults_to_the_folder_beside_the_repository(monkeypatch):
    monkeypatch.delenv("PALIMPSEST_SHARED_DATA", raising=False)
    assert paths.shared_data() == paths.REPO_ROOT.parent / "shared" / "data"


def test_shared_data_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("PALIMPSEST_SHARED_DATA", str(tmp_path))
    assert paths.shared_data() == Path(tmp_path)


def test_synthetic_sources_fall_back_to_the_repo_copy_without_shared_fonts(monkeypatch, tmp_path):
    from models_ml.synth import sources

    monkeypatch.setenv("PALIMPSEST_SHARED_DATA", str(tmp_path))  # no fonts/ there
    assert sources.data_root() == paths.REPO_ROOT / "data"
    (tmp_path / "fonts").mkdir()
    assert sources.data_root() == tmp_path


def test_no_module_hard_codes_a_machine_path():
    offenders = [str(p) for p in (paths.REPO_ROOT / "models_ml").rglob("*.py") if "/work/shared" in p.read_text()]
    assert offenders == []
