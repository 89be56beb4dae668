"""The foundation's commands, run as a user would (through click, on a copy of the shipped config)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import main
from tests.support.processes import REPMON, free_port

ROOT = Path(__file__).resolve().parents[1]


SHIPPED_URL = "url: sqlite:///data/repmon.db"


@pytest.fixture
def shipped(tmp_path: Path) -> Path:
    """The shipped config and demo sample in a fresh folder (its data/ starts empty)."""
    shutil.copy(ROOT / "config.yaml", tmp_path / "config.yaml")
    shutil.copytree(ROOT / "samples", tmp_path / "samples")
    return tmp_path


@pytest.fixture
def workdir(shipped: Path, db_url: str) -> Path:
    """The shipped config, once as shipped (SQLite under data/) and once on a fresh
    PostgreSQL schema (only database.url changed)."""
    if not db_url.startswith("sqlite"):
        path = shipped / "config.yaml"
        text = path.read_text(encoding="utf-8")
        assert SHIPPED_URL in text
        path.write_text(text.replace(SHIPPED_URL, f'url: "{db_url}"'), encoding="utf-8")
    return shipped


def is_sqlite(workdir: Path) -> bool:
    return SHIPPED_URL in (workdir / "config.yaml").read_text(encoding="utf-8")


def run(workdir: Path, *args: str):
    return CliRunner().invoke(main, [*args, "--config", str(workdir / "config.yaml")], catch_exceptions=False)


def test_run_once_on_the_shipped_config_ingests_the_demo_and_summarises(workdir):
    result = run(workdir, "run", "--once", "--now", "2026-11-22T12:00:00+08:00")
    assert result.exit_code == 0, result.output
    assert "sources run: 1" in result.output
    assert "demo: 36 read = 28 new + 4 updated + 0 unchanged + 4 dropped  [ok]" in result.output
    assert "dropped: no_brand 4" in result.output
    assert "new negative mentions: shouzhuo" in result.output
    assert (workdir / "data" / "repmon.db").exists() == is_sqlite(workdir)


def test_mentions_list_prints_one_json_array_filtered_as_asked(workdir):
    run(workdir, "run", "--once", "--now", "2026-11-22T12:00:00+08:00")
    result = run(workdir, "mentions", "list", "--negative", "--format", "json", "--limit", "1000")
    rows = json.loads(result.output)
    assert rows and all(r["negative"] and r["brand"] == "shouzhuo" for r in rows)
    since = run(workdir, "mentions", "list", "--since", "2026-11-22T11:00:00+08:00", "--format", "json")
    assert all(r["published_at"] >= "2026-11-22T03:00:00" for r in json.loads(since.output))
    table = run(workdir, "mentions", "list", "--brand", "shouzhuo", "--limit", "3")
    assert table.exit_code == 0 and "3 mention(s)" in table.output


def test_rescore_scores_stored_mentions_again_with_the_current_model(workdir):
    run(workdir, "run", "--once", "--now", "2026-11-22T12:00:00+08:00")
    rows = json.loads(run(workdir, "mentions", "list", "--format", "json", "--limit", "1000").output)
    assert rows and all(r["polarity"] in ("negative", "neutral", "positive") for r in rows)
    # Rows scored by an older model (here: every one of them called negative) come back as
    # the current model reads them.
    from sqlalchemy import update

    from monitor.config import load_config
    from monitor.migrate import open_database
    from monitor.models import Mention

    engine, _ = open_database(load_config(workdir / "config.yaml"))
    with engine.begin() as conn:
        conn.execute(update(Mention).values(negative=True, polarity="negative", sentiment=0.1, category="other"))
    engine.dispose()
    result = run(workdir, "mentions", "rescore")
    assert result.exit_code == 0, result.output
    assert f"rescored {len(rows)} mention(s)" in result.output
    after = json.loads(run(workdir, "mentions", "list", "--format", "json", "--limit", "1000").output)
    assert sorted((r["id"], r["polarity"], r["category"]) for r in after) == sorted(
        (r["id"], r["polarity"], r["category"]) for r in rows)
    assert CliRunner().invoke(main, ["mentions", "rescore", "--brand", "nope", "--config",
                                     str(workdir / "config.yaml")]).exit_code == 2


def test_crawl_runs_one_named_source_and_names_an_unknown_one(workdir):
    result = run(workdir, "crawl", "demo", "--now", "2026-11-22T12:00:00+08:00")
    assert result.exit_code == 0 and "28 new" in result.output
    result = CliRunner().invoke(main, ["crawl", "nope", "--config", str(workdir / "config.yaml")])
    assert result.exit_code == 2 and "no source 'nope'" in result.output and "demo" in result.output


def test_db_upgrade_creates_and_then_reports_the_schema(workdir):
    first = run(workdir, "db", "upgrade")
    assert first.exit_code == 0 and "upgraded empty ->" in first.output
    second = run(workdir, "db", "upgrade")
    assert "already at" in second.output


def test_a_bad_since_is_a_usage_error_naming_the_option(shipped):
    result = CliRunner().invoke(main, ["mentions", "list", "--since", "garbage", "--config", str(shipped / "config.yaml")])
    assert result.exit_code == 2 and "--since" in result.output and "not an ISO time" in result.output


def test_a_bad_now_is_a_usage_error_naming_the_option(shipped):
    result = CliRunner().invoke(main, ["run", "--once", "--now", "soon", "--config", str(shipped / "config.yaml")])
    assert result.exit_code == 2 and "--now" in result.output and "Traceback" not in result.output


def test_an_unknown_brand_filter_is_an_error_naming_it_and_the_known_brands(workdir):
    result = CliRunner().invoke(main, ["mentions", "list", "--brand", "nope", "--config", str(workdir / "config.yaml")])
    assert result.exit_code == 2 and "'nope'" in result.output and "shouzhuo" in result.output


def test_the_run_summary_adds_up_when_a_file_has_lines_that_are_not_json(workdir):
    sample = workdir / "samples" / "shouzhuo_demo.jsonl"
    sample.write_text(sample.read_text(encoding="utf-8") + "{not json\n[1, 2]\n", encoding="utf-8")
    result = run(workdir, "run", "--once", "--now", "2026-11-22T12:00:00+08:00")
    assert "demo: 38 read = 28 new + 4 updated + 0 unchanged + 6 dropped  [ok]" in result.output, result.output
    assert "dropped: bad_json 2, no_brand 4" in result.output


def test_a_secret_in_a_failing_source_url_appears_in_no_log_stored_error_cli_output_or_notice(tmp_path, db_url):
    """The ${AUD_SECRET} in a jsonl URL is masked everywhere the failure is told."""
    import os
    import subprocess

    from sqlalchemy import select

    from monitor.clock import FixedClock
    from monitor.config import load_config
    from monitor.cycle import evaluate_and_enqueue
    from monitor.db import session_scope
    from monitor.migrate import open_database
    from monitor.models import OutboxMessage, SourceRun

    secret = "tok-abcdef123456"
    port = free_port()  # nothing listens on it: the fetch is refused at once
    path = tmp_path / "config.yaml"
    path.write_text(f"""
database:
  url: "{db_url}"
brands:
  - {{id: a, name: A, keywords: {{any: [手镯之家]}}}}
crawl:
  retry_times: 1
  download_delay: 0s
channels:
  archive: {{kind: file, path: alerts.jsonl}}
routes:
  ops: [archive]
sources:
  - id: feed
    kind: jsonl
    url: "http://127.0.0.1:{port}/feed.jsonl?token=${{AUD_SECRET}}"
    fail_notice_after: 1
""")
    env = {**os.environ, "AUD_SECRET": secret}
    crawled = subprocess.run(
        [str(REPMON), "crawl", "feed", "--config", str(path)],
        env=env, capture_output=True, text=True, timeout=120,
    )
    said = crawled.stdout + crawled.stderr
    assert crawled.returncode == 1 and "FAILED: cannot read" in said and "Gave up retrying" in said, said
    assert secret not in said and "token=***" in said

    os.environ["AUD_SECRET"] = secret  # the CLI below, like a user's shell, has it set
    try:
        cfg = load_config(path)
        for args in (["sources", "--format", "json"], ["sources"], ["status"]):
            out = CliRunner().invoke(main, [*args, "--config", str(path)])
            assert secret not in out.output and "cannot read" in out.output, out.output
        rows = json.loads(CliRunner().invoke(main, ["sources", "--format", "json", "--config", str(path)]).output)
        assert "token=***" in rows[0]["last_error"]
    finally:
        del os.environ["AUD_SECRET"]
    engine, factory = open_database(cfg)
    with session_scope(factory) as s:
        [run] = s.scalars(select(SourceRun)).all()
        assert not run.ok and "token=***" in run.error_message and secret not in run.error_message
    evaluate_and_enqueue(cfg, factory, FixedClock(run.finished_at))
    with session_scope(factory) as s:
        [notice] = s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "ops_notice")).all()
        text = json.dumps(notice.payload, ensure_ascii=False)
    engine.dispose()
    assert "cannot read" in text and secret not in text


@pytest.mark.parametrize("args", [["run", "--once"], ["crawl", "demo"], ["mentions", "list"], ["sources"]])
def test_an_unreachable_database_is_one_line_naming_it_with_the_password_masked(shipped, args):
    port = free_port()  # nothing listens on it
    path = shipped / "config.yaml"
    text = path.read_text(encoding="utf-8").replace(
        SHIPPED_URL, f'url: "postgresql+psycopg://app:pw-hunter2@127.0.0.1:{port}/repmon"'
    )
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, [*args, "--config", str(path)])
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.output, result.output
    assert lines[0].startswith(f"database: cannot connect to postgresql+psycopg://app:***@127.0.0.1:{port}/repmon: ")
    assert "hunter2" not in result.output


def test_a_database_url_that_is_not_a_url_fails_config_check_with_exit_2(shipped):
    path = shipped / "config.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(SHIPPED_URL, "url: notaurl"))
    result = CliRunner().invoke(main, ["config", "check", "--config", str(path)])
    assert result.exit_code == 2 and "database.url: not a database URL" in result.output


def test_train_sentiment_writes_the_model_the_config_names_which_then_checks_clean(shipped: Path):
    config = shipped / "config.yaml"
    config.write_text(config.read_text().replace("scoring:\n", "scoring:\n  model: data/brand.json.gz\n", 1))
    # Named before it exists: every command but train-sentiment refuses such a config.
    check = CliRunner().invoke(main, ["config", "check", "--config", str(config)])
    assert check.exit_code == 2 and "scoring.model: no sentiment model at" in check.output
    (shipped / "pos.txt").write_text("\n".join(["翡翠绿 真美", "翡翠绿 喜欢"] * 20))
    (shipped / "neg.txt").write_text("\n".join(["发灰 难看", "发灰 失望"] * 20))
    trained = CliRunner().invoke(main, ["train-sentiment", "--pos", str(shipped / "pos.txt"),
                                        "--neg", str(shipped / "neg.txt"), "--config", str(config)])
    assert trained.exit_code == 0, trained.output
    assert (shipped / "data" / "brand.json.gz").is_file()
    assert CliRunner().invoke(main, ["config", "check", "--config", str(config)]).exit_code == 0


def test_score_reads_windows_line_endings_without_keeping_the_carriage_return(shipped: Path):
    result = CliRunner().invoke(main, ["score", "--config", str(shipped / "config.yaml")], input="手镯断裂了\r\nok\r\n")
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["text"] for line in result.output.splitlines()] == ["手镯断裂了", "ok"]
