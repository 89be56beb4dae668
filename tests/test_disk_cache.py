"""repmon's cache folder: a faster form of the model files, never a different one."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from monitor import disk_cache
from monitor.sentiment.bayes import BayesEvidence
from monitor.sentiment.linear import LinearModel, ModelFileError
from monitor.sentiment.scorer import ZH_MODEL


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(disk_cache.ENV, str(folder))
    return folder


@pytest.fixture
def no_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv(disk_cache.ENV, str(blocker / "cache"))  # cannot be created: no cache at all
    assert disk_cache.cache_dir() is None


def test_a_model_read_from_the_cache_is_the_model_read_from_its_file(cache: Path, tmp_path: Path, monkeypatch):
    first = LinearModel.load(ZH_MODEL)
    assert len(list(cache.glob("linear-model-*.marshal"))) == 1
    from_cache = LinearModel.load(ZH_MODEL)
    monkeypatch.setenv(disk_cache.ENV, str(tmp_path / "other"))
    assert from_cache == first == LinearModel.load(ZH_MODEL)


def test_the_bayes_evidence_from_the_cache_is_the_evidence_derived_from_the_counts(cache: Path):
    built = BayesEvidence()
    cached = BayesEvidence()
    assert list(cache.glob("bayes-evidence-*.marshal"))
    assert cached.weights == built.weights and cached.negation_prior == built.negation_prior
    assert cached.evidence("质量太差", ["质量", "太差"]) == built.evidence("质量太差", ["质量", "太差"])


def test_a_retrained_model_file_is_read_again_not_served_stale(cache: Path, tmp_path: Path):
    path = tmp_path / "m.json.gz"
    LinearModel("zh", {"w:好": (0.0, 0.0, 1.0)}).save(path)
    assert LinearModel.load(path).weights == {"w:好": (0.0, 0.0, 1.0)}
    LinearModel("zh", {"w:好": (0.0, 0.0, 2.0), "w:差": (2.0, 0.0, 0.0)}).save(path)
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000))  # same second on some filesystems
    assert LinearModel.load(path).weights == {"w:好": (0.0, 0.0, 2.0), "w:差": (2.0, 0.0, 0.0)}
    assert len(list(cache.glob("linear-model-*.marshal"))) == 1  # the earlier state was removed


def test_without_a_usable_cache_folder_models_load_from_their_files(no_cache: None, tmp_path: Path):
    assert LinearModel.load(ZH_MODEL).weights
    assert BayesEvidence().weights
    with pytest.raises(ModelFileError, match="not a repmon sentiment model"):
        LinearModel.load(tmp_path / "missing.json.gz")


def test_a_missing_model_file_is_a_model_file_error_with_a_cache_too(cache: Path, tmp_path: Path):
    with pytest.raises(ModelFileError, match="FileNotFoundError"):
        LinearModel.load(tmp_path / "missing.json.gz")


def test_a_damaged_cache_entry_is_rebuilt_from_the_file(cache: Path):
    model = LinearModel.load(ZH_MODEL)
    (entry,) = cache.glob("linear-model-*.marshal")
    entry.write_bytes(entry.read_bytes()[:1000])
    assert LinearModel.load(ZH_MODEL) == model


def test_only_the_most_recently_used_entries_of_a_kind_are_kept(cache: Path, tmp_path: Path):
    paths = []
    for i in range(disk_cache.KEEP + 3):
        path = tmp_path / f"m{i}.json.gz"
        LinearModel("zh", {"w:好": (0.0, 0.0, float(i))}).save(path)
        paths.append(path)
        LinearModel.load(path)
    assert len(list(cache.glob("linear-model-*.marshal"))) == disk_cache.KEEP
