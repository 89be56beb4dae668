"""Lean processes: each command loads only what it uses, and what it loads is read from repmon's cache.

The checks run in fresh interpreters (a test process has long imported everything), and
look at ``sys.modules`` when the command is done.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from monitor.cli.app import COMMAND_MODULES, main
from monitor.db import make_engine
from monitor.migrate import current_revision, head_revision, script_head, stored_revision, upgrade

ROOT = Path(__file__).resolve().parent.parent

# What the CLI's start-up must not pay for, and the two models of SnowNLP repmon never uses.
CRAWLING = ("scrapy", "twisted")
SCORING = ("jieba", "opencc", "snownlp", "vaderSentiment")
TRAINING = ("numpy", "scipy")


def loaded_after(code: str, env: dict[str, str] | None = None) -> list[str]:
    """The top-level packages (and snownlp's submodules) in sys.modules after ``code`` ran
    in a fresh interpreter."""
    probe = textwrap.dedent(code) + textwrap.dedent("""
        import json, sys
        names = {m.split(".")[0] for m in sys.modules} | {m for m in sys.modules if m.startswith("snownlp.")}
        print("LOADED " + json.dumps(sorted(names)))
    """)
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=120,
                            env={**os.environ, **(env or {})})
    assert result.returncode == 0, result.stderr
    line = next(x for x in result.stdout.splitlines() if x.startswith("LOADED "))
    return json.loads(line.removeprefix("LOADED "))


def cli(args: list[str]) -> str:
    return f"""
        import sys
        sys.argv = ["repmon", *{args!r}]
        from monitor.cli import main
        try:
            main()
        except SystemExit as exc:
            assert not exc.code, exc.code
    """


def test_help_loads_neither_the_config_models_nor_the_database_layer():
    loaded = loaded_after(cli(["--help"]))
    heavy = [m for m in loaded if m in (*CRAWLING, *SCORING, *TRAINING, "sqlalchemy", "pydantic", "alembic")]
    assert heavy == []


@pytest.fixture
def config_at_head(tmp_path: Path) -> Path:
    db = tmp_path / "repmon.db"
    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine)
    engine.dispose()
    cfg = tmp_path / "config.yaml"
    cfg.write_text(f"database: {{url: 'sqlite:///{db}'}}\nbrands:\n  - {{id: b, name: B, keywords: {{any: [b]}}}}\n")
    return cfg


@pytest.mark.parametrize("args", [["status"], ["incidents", "list"], ["sources"]])
def test_read_only_commands_load_no_crawler_scorer_or_migration_tool(config_at_head: Path, args: list[str]):
    loaded = loaded_after(cli([*args, "--config", str(config_at_head)]))
    heavy = [m for m in loaded if m in (*CRAWLING, *SCORING, *TRAINING, "alembic")]
    assert heavy == []


def test_scoring_chinese_and_english_loads_snownlps_classifier_at_most_never_its_other_models(tmp_path: Path):
    code = """
        from monitor.sentiment import SentimentScorer
        s = SentimentScorer()
        assert s.score("手镯戴了三天就断了，质量太差", "zh") < 0.4
        assert s.score("Love it, thank you!", "en") > 0.6
    """
    for cache in ("cold", "warm"):  # building the cache, then reading it
        loaded = loaded_after(code, {"REPMON_CACHE_DIR": str(tmp_path / "cache")})
        assert [m for m in loaded if m == "snownlp" or m.startswith("snownlp.")] == [], cache
        assert "jieba" in loaded and "opencc" in loaded  # what it does use
        assert "pkg_resources" not in loaded  # jieba imports it only to open its own files


def test_repmon_score_never_loads_the_database_layer(config_at_head: Path, tmp_path: Path):
    code = cli(["score", "--config", str(config_at_head)]).replace(
        "from monitor.cli import main", "import io\n        sys.stdin = io.StringIO('手镯之家不错\\n')\n        from monitor.cli import main")
    loaded = loaded_after(code, {"REPMON_CACHE_DIR": str(tmp_path / "cache")})
    assert "jieba" in loaded  # it did score
    assert [m for m in loaded if m in ("sqlalchemy", "alembic", *CRAWLING)] == []


def test_the_service_module_loads_no_crawler_and_no_scorer():
    loaded = loaded_after("import monitor.service")
    assert [m for m in loaded if m in (*CRAWLING, *SCORING, *TRAINING)] == []


def test_jiebas_dictionary_is_built_once_then_read_from_repmons_cache_folder(tmp_path: Path):
    cache = tmp_path / "cache"
    segment = """
        from monitor.sentiment.bayes import segment
        print("WORDS", segment("手镯之家的手镯质量太差"))
    """
    first = subprocess.run([sys.executable, "-c", textwrap.dedent(segment)], capture_output=True, text=True, cwd=ROOT,
                           env={**os.environ, "REPMON_CACHE_DIR": str(cache)}, timeout=120)
    assert first.returncode == 0, first.stderr
    assert (cache / "jieba.cache").is_file()
    built_at = (cache / "jieba.cache").stat().st_mtime_ns
    # The second process may not build the dictionary: jieba's builder is made to fail.
    no_build = """
        import jieba
        def refuse(*args, **kwargs):
            raise AssertionError("jieba rebuilt its dictionary")
        jieba.Tokenizer.gen_pfdict = staticmethod(refuse)
    """ + segment
    second = subprocess.run([sys.executable, "-c", textwrap.dedent(no_build)], capture_output=True, text=True, cwd=ROOT,
                            env={**os.environ, "REPMON_CACHE_DIR": str(cache)}, timeout=120)
    assert second.returncode == 0, second.stderr
    assert (cache / "jieba.cache").stat().st_mtime_ns == built_at
    assert first.stdout == second.stdout and "手镯之家" in second.stdout


def test_every_command_is_registered_by_the_module_the_lazy_group_names():
    for name, module in COMMAND_MODULES.items():
        __import__(module)
        assert main.commands[name].callback.__module__ == module, name
    assert sorted(main.commands) == sorted(COMMAND_MODULES)


def test_the_head_read_from_the_migration_scripts_is_alembics(tmp_path: Path):
    assert script_head() == head_revision()
    engine = make_engine(f"sqlite:///{tmp_path / 'r.db'}")
    try:
        assert stored_revision(engine) is None and current_revision(engine) is None
        upgrade(engine)
        assert stored_revision(engine) == current_revision(engine) == head_revision()
    finally:
        engine.dispose()
