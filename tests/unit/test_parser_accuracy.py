"""The parser against the labelled sets in tests/data: intent accuracy ≥ 0.95 and field accuracy ≥ 0.90.

`kesu parse --eval tests/data/intents_dev.jsonl` prints the same figures and every miss.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import demo_config
from bot.intents.evaluate import evaluate, load, render
from bot.intents.understand import Parser

DATA = Path(__file__).resolve().parents[1] / "data"
SETS = sorted(DATA.glob("intents_*.jsonl"))


def test_the_labelled_sets_are_there_and_large_enough() -> None:
    sizes = {p.name: len(load(p)) for p in SETS}
    assert sizes.get("intents_dev.jsonl", 0) >= 300
    assert sum(sizes.values()) >= 450


@pytest.mark.parametrize("path", SETS, ids=[p.stem for p in SETS])
def test_the_parser_meets_the_accuracy_bar(path: Path) -> None:
    report = evaluate(load(path), Parser(demo_config().org))
    print("\n".join(render(report)[:4]))
    assert report.intent_accuracy >= 0.95, "\n".join(render(report))
    assert report.field_accuracy >= 0.90, "\n".join(render(report))
