from __future__ import annotations

import re
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from monitor.cli import main
from monitor.config import ConfigError, load_config, parse_config, parse_duration

ROOT = Path(__file__).resolve().parents[1]

GOOD = """
brands:
  - id: a
    name: A
    keywords: {any: [x]}
"""


def problems_of(text: str, env: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_config(text, env=env or {})
    return [str(p) for p in info.value.problems]


def test_the_shipped_config_is_valid_and_offline():
    cfg = load_config(ROOT / "config.yaml", env={})
    assert cfg.brands[0].name == "手镯之家"
    assert cfg.database_url().startswith("sqlite:///")
    assert all(s.kind == "jsonl" or not s.enabled for s in cfg.sources)


def test_an_empty_keyword_list_is_reported_with_its_field_path_and_line():
    text = "brands:\n  - id: a\n    name: A\n    keywords:\n      any: []\n"
    assert problems_of(text) == ["brands[0].keywords.any: must be a non-empty list (line 5)"]


def test_a_misspelt_key_is_an_error_not_silently_ignored():
    text = GOOD + "scoring:\n  negativ_below: 0.3\n"
    [problem] = problems_of(text)
    assert problem.startswith("scoring.negativ_below: unknown key")
    assert "(line 7)" in problem


def test_every_problem_is_listed_one_per_line():
    text = """
brands:
  - id: "bad id"
    name: ""
    keywords: {any: [x]}
sources:
  - {id: s, kind: jsonl, path: x, interval: soon}
  - {id: t, kind: telepathy}
"""
    found = problems_of(text)
    paths = [p.split(":")[0] for p in found]
    assert paths == ["brands[0].id", "brands[0].name", "sources[0].interval", "sources[1].kind"]


def test_a_missing_environment_variable_is_named_and_its_value_never_printed():
    text = GOOD + "database:\n  url: postgresql://app:${DB_PASSWORD}@db/x\n"
    assert problems_of(text) == ["database.url: environment variable DB_PASSWORD is not set (line 7)"]
    cfg = parse_config(text, env={"DB_PASSWORD": "s3cret-pw"})
    assert "s3cret-pw" in cfg.database.url


def test_a_secret_in_a_field_that_fails_validation_is_not_echoed():
    text = GOOD + "scoring:\n  negative_below: ${SECRET}\n"
    found = problems_of(text, env={"SECRET": "xoxb-secret1"})
    assert found and not any("xoxb" in p for p in found)


def test_yaml_syntax_errors_name_the_line():
    [problem] = problems_of("brands:\n  - id: a\n   name: [\n")
    assert problem.startswith("invalid YAML") and "line" in problem


@pytest.mark.parametrize(
    "value,expected",
    [("30s", timedelta(seconds=30)), ("10m", timedelta(minutes=10)), ("4h", timedelta(hours=4)),
     ("1d", timedelta(days=1)), (90, timedelta(seconds=90)), ("1.5h", timedelta(minutes=90))],
)
def test_durations_are_read_in_human_units(value, expected):
    assert parse_duration(value) == expected


def test_config_check_exits_0_on_a_good_file_and_2_with_field_paths_on_a_bad_one(tmp_path):
    runner = CliRunner()
    good = tmp_path / "good.yaml"
    shutil.copy(ROOT / "config.yaml", good)
    result = runner.invoke(main, ["config", "check", "--config", str(good)])
    assert result.exit_code == 0, result.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("brands:\n  - id: a\n    name: A\n    keywords:\n      any: []\n    colour: red\n")
    result = runner.invoke(main, ["config", "check", "--config", str(bad)])
    assert result.exit_code == 2
    assert "brands[0].keywords.any: must be a non-empty list (line 5)" in result.output
    assert "brands[0].colour: unknown key" in result.output


def test_config_check_names_a_missing_file(tmp_path):
    result = CliRunner().invoke(main, ["config", "check", "--config", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2
    assert "config file not found" in result.output


def test_values_from_the_environment_are_masked_in_logs_even_inside_longer_text(capsys):
    import logging

    from monitor import secrets
    from monitor.logs import setup_logging

    text = GOOD + "web:\n  public_url: \"https://console.example/?key=${CONSOLE_KEY}\"\n"
    cfg = parse_config(text, env={"CONSOLE_KEY": "k-1234567890"})
    setup_logging(logging.INFO)
    log = logging.getLogger("repmon.test")
    log.warning("posting to %s", cfg.web.public_url)
    try:
        raise RuntimeError(f"refused: {cfg.web.public_url}")
    except RuntimeError:
        log.exception("delivery failed")
    err = capsys.readouterr().err
    root = logging.getLogger()
    for h in [h for h in root.handlers if getattr(h, "_repmon", False)]:
        root.removeHandler(h)
    assert "k-1234567890" not in err
    assert "https://console.example/?key=***" in err and "refused: https://console.example/?key=***" in err
    assert secrets.redact("x k-1234567890 y") == "x *** y"


def _commented_examples(text: str) -> list[tuple[int, int]]:
    """(first, end) line ranges of runs of commented-out lines that look like YAML entries."""
    entry = re.compile(r"^(\s*)# (\s*(- )?[A-Za-z_][A-Za-z0-9_.-]*:(\s|$).*)$")
    lines = text.splitlines()
    blocks, i = [], 0
    while i < len(lines):
        if entry.match(lines[i]):
            j = i
            while j < len(lines) and entry.match(lines[j]):
                j += 1
            blocks.append((i, j))
            i = j
        else:
            i += 1
    return blocks


def test_every_commented_example_in_the_shipped_config_is_valid_once_uncommented():
    text = (ROOT / "config.yaml").read_text(encoding="utf-8")
    blocks = _commented_examples(text)
    assert len(blocks) >= 2  # the PostgreSQL url; the Slack and Feishu channels
    env = {name: f"value-of-{name.lower()}" for name in re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)", text)}
    env["SLACK_WEBHOOK_URL"] = "https://hooks.slack.example/services/T0/B0/x"
    # Cookie strings are checked for NAME=value pairs, as a browser's copied cookie has.
    env.update({name: "SUB=abc123; SUBP=xyz789" for name in env if name.endswith("COOKIE")})
    for first, end in blocks:
        lines = text.splitlines()
        uncommented = [re.sub(r"^(\s*)# ", r"\1", line) for line in lines[first:end]]
        rest = lines[end:]
        # An example written "instead of the line below" replaces that line.
        key = re.match(r"^\s*([^:]+):", uncommented[0]).group(1)
        if rest and re.match(rf"^\s*{re.escape(key)}:", rest[0]) and len(rest[0]) - len(rest[0].lstrip()) == len(
            uncommented[0]
        ) - len(uncommented[0].lstrip()):
            rest = rest[1:]
        edited = "\n".join(lines[:first] + uncommented + rest) + "\n"
        example = "\n".join(uncommented)
        assert isinstance(yaml.safe_load(edited), dict), example
        try:
            cfg = parse_config(edited, env=env)
        except ConfigError as exc:
            raise AssertionError(f"{example}\n-> {exc}") from None
        if key.strip().startswith(("slack", "feishu")):
            indent = len(uncommented[0]) - len(uncommented[0].lstrip())
            names = [line.split(":")[0].strip() for line in uncommented if len(line) - len(line.lstrip()) == indent]
            assert names and set(names) <= set(cfg.channels), example


def test_a_duplicate_source_id_is_reported_at_the_duplicate_with_its_line():
    text = GOOD + "sources:\n  - {id: demo, kind: jsonl, path: a}\n  - id: demo\n    kind: jsonl\n    path: b\n"
    assert problems_of(text) == ["sources[1].id: duplicate id 'demo' (line 8)"]


def test_a_duplicate_brand_id_is_reported_at_the_duplicate_with_its_line():
    text = GOOD + "  - id: a\n    name: B\n    keywords: {any: [y]}\n"
    assert problems_of(text) == ["brands[1].id: duplicate id 'a' (line 6)"]


def test_an_unknown_channel_in_a_route_is_reported_at_the_route_entry_with_its_line():
    text = "timezone: Asia/Shanghai\n" + GOOD + "channels:\n  archive: {kind: console}\nroutes:\n  red:\n    - archive\n    - archiv\n"
    [problem] = problems_of(text)
    assert problem.startswith("routes.red[1]: unknown channel 'archiv'") and problem.endswith("(line 12)")


def test_a_missing_top_level_section_names_no_unrelated_line():
    assert problems_of("timezone: Asia/Shanghai\nsources: []\n") == ["brands: is required"]


def test_inconsistent_incident_settings_are_reported_below_incidents():
    text = GOOD + "incidents:\n  orange_from: 600\n  red_above: 500\n"
    assert problems_of(text) == ["incidents.red_above: must not be below orange_from (line 8)"]


def test_a_repeated_key_is_an_error_naming_its_path_and_the_second_line():
    text = GOOD + "incidents:\n  repost_threshold: 50\n  orange_from: 100\n  repost_threshold: 5\n"
    assert problems_of(text) == ["incidents.repost_threshold: duplicate key (line 9)"]


def test_a_repeated_key_inside_a_list_item_is_an_error_too():
    text = "brands:\n  - id: a\n    name: A\n    name: B\n    keywords: {any: [x]}\n"
    assert problems_of(text) == ["brands[0].name: duplicate key (line 4)"]


def test_an_unterminated_environment_reference_is_a_problem_not_literal_text():
    text = GOOD + "web:\n  public_url: \"https://x.example/?k=${UNTERMINATED\"\n"
    [problem] = problems_of(text, env={"UNTERMINATED": "zzzzzzzz"})
    assert problem.startswith("web.public_url: ") and "${" in problem and "(line 7)" in problem


@pytest.mark.parametrize("url", ["notaurl", "mysql://u@h/db", "http://example.com/db", ""])
def test_a_database_url_that_is_not_sqlite_or_postgresql_is_a_config_problem(url):
    [problem] = problems_of(GOOD + f"database:\n  url: \"{url}\"\n")
    assert problem.startswith("database.url: ") and "(line 7)" in problem


def test_a_database_url_problem_never_shows_the_password():
    found = problems_of(GOOD + "database:\n  url: \"mysql://app:${PW}@db/x\"\n", env={"PW": "hunter2-secret"})
    assert found and not any("hunter2" in p for p in found)


@pytest.mark.parametrize("url", ["sqlite:///data/x.db", "sqlite://", "postgresql://u:p@h:5432/x", "postgresql+psycopg://h/x"])
def test_sqlite_and_postgresql_database_urls_are_accepted(url):
    assert parse_config(GOOD + f"database:\n  url: \"{url}\"\n", env={}).database.url == url


def test_a_sentiment_model_path_that_does_not_exist_is_a_problem_naming_the_field_and_line(tmp_path):
    text = GOOD + "scoring:\n  model: data/brand.json.gz\n"
    with pytest.raises(ConfigError) as info:
        parse_config(text, env={}, base_dir=tmp_path)
    [problem] = [str(p) for p in info.value.problems]
    assert problem.startswith("scoring.model: no sentiment model at ") and problem.endswith("(line 7)")
    from monitor.sentiment.linear import LinearModel

    LinearModel("zh", {"w:好": (-1.0, 0.0, 1.0)}).save(tmp_path / "data" / "brand.json.gz")
    assert parse_config(text, env={}, base_dir=tmp_path).scoring.model == "data/brand.json.gz"


def test_severity_weights_must_name_a_category_and_lie_between_0_and_1():
    text = GOOD + "scoring:\n  severity: {produkt_quality: 0.5, logistics: -3, price: 0.2}\n"
    assert problems_of(text) == [
        "scoring.severity.produkt_quality: 'produkt_quality' is not a category (one of: after_sales, logistics, "
        "order_error, other, price, product_quality, website) (line 7)",
        "scoring.severity.logistics: must be between 0 and 1 (line 7)",
    ]
    custom = GOOD + "scoring:\n  categories: {fit: [圈口]}\n  severity: {fit: 0.9, other: 0.1}\n"
    assert parse_config(custom, env={}).scoring.severity == {"fit": 0.9, "other": 0.1}


@pytest.mark.parametrize("url", [
    "sqlite:///data/repmon.db", "sqlite://", "sqlite:////abs/path.db", "postgresql+psycopg://u:p@h:5432/db",
    "postgresql://u:p%40x@[::1]:5432/db", "postgresql://h/db", "mysql://u@h/db", "notaurl", "postgresql://h:port/db",
    "://h/db", "postgresql+psycopg://u:pa:ss@h/db", "sqlite:///C:\\data\\r.db", "oracle+cx://u:p@h:1521",
])
def test_the_database_url_check_agrees_with_sqlalchemy_on_what_is_a_url_and_its_backend(url):
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    from monitor.config import database_backend

    try:
        expected = make_url(url).get_backend_name()
    except (ArgumentError, ValueError):
        expected = None
    assert database_backend(url) == expected
