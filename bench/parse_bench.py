"""Intent parsing speed: median and p99 time per message over the labelled sets, with a floor.

Run: .venv/bin/python bench/parse_bench.py [--rounds N]

The floor is the cheapest work every parse does anyway (Unicode normalisation plus one regex scan of
the message), measured in the same run, so the ratio says how much the rules cost on top of it.
"""

from __future__ import annotations

import argparse
import platform
import re
import statistics
import time
import unicodedata
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.config import demo_config
from bot.intents.evaluate import load
from bot.intents.understand import Parser

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
NOW = datetime(2026, 11, 22, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
FLOOR_SCAN = re.compile(r"(投诉|客诉|ks[-_ ]?\d{6})", re.IGNORECASE)


def _floor(text: str) -> object:
    return FLOOR_SCAN.search(unicodedata.normalize("NFKC", text))


def _timings(fn: Callable[[str], object], texts: list[str], rounds: int) -> list[float]:
    per_message: list[float] = []
    for _ in range(rounds):
        for text in texts:
            start = time.perf_counter_ns()
            fn(text)
            per_message.append((time.perf_counter_ns() - start) / 1000.0)  # microseconds
    return per_message


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=20)
    args = ap.parse_args()
    texts = [ex.text for path in sorted(DATA.glob("intents_*.jsonl")) for ex in load(path)]
    parser = Parser(demo_config().org)
    for text in texts:  # warm caches (compiled regexes, fuzzy tables)
        parser(text, NOW)
    parse_us = _timings(lambda t: parser(t, NOW), texts, args.rounds)
    floor_us = _timings(_floor, texts, args.rounds)
    p50, p50_floor = statistics.median(parse_us), statistics.median(floor_us)
    p99 = statistics.quantiles(parse_us, n=100)[98]
    print(f"machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}")
    print(f"messages: {len(texts)} x {args.rounds} rounds")
    print(f"parse  median {p50:8.1f} us   p99 {p99:8.1f} us   mean {statistics.fmean(parse_us):8.1f} us")
    print(f"floor  median {p50_floor:8.1f} us   (NFKC + one regex scan)")
    print(f"ratio parse/floor (median): {p50 / p50_floor:.1f}x")
    print(f"median under 1 ms: {'yes' if p50 < 1000 else 'NO'}")


if __name__ == "__main__":
    main()
