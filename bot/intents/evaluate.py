"""Measure the parser on a labelled JSONL set: intent accuracy, field accuracy and every miss."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.context import Understood
from bot.intents.extract import normalise

DEFAULT_NOW = "2026-11-22T10:00:00+08:00"


@dataclass(frozen=True)
class Example:
    """One labelled message."""

    text: str
    intent: str
    slots: dict[str, Any]
    now: datetime


@dataclass
class Miss:
    """A message the parser got (partly) wrong."""

    example: Example
    got: Understood
    wrong_fields: list[str]


@dataclass
class Report:
    """The figures of one evaluation run."""

    examples: int = 0
    intents_right: int = 0
    fields: int = 0
    fields_right: int = 0
    misses: list[Miss] = field(default_factory=list)

    @property
    def intent_accuracy(self) -> float:
        """Share of messages whose intent is right."""
        return self.intents_right / self.examples if self.examples else 0.0

    @property
    def field_accuracy(self) -> float:
        """Share of fields (expected or produced) that are right; a spurious field counts as wrong."""
        return self.fields_right / self.fields if self.fields else 0.0


def load(path: Path) -> list[Example]:
    """Examples from a JSONL file (``now`` defaults to 2026-11-22 10:00 Asia/Shanghai)."""
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            out.append(
                Example(
                    raw["text"],
                    raw["intent"],
                    dict(raw.get("slots") or {}),
                    datetime.fromisoformat(raw.get("now", DEFAULT_NOW)),
                )
            )
        except (ValueError, KeyError) as e:
            raise ValueError(f"{path}:{n}: {e}") from None
    return out


def _squash(value: str) -> str:
    """Compare free text as people would: same script, no punctuation, no particles at the ends."""
    t = re.sub(r"[\s,.;:!?,。;:!?、]+", "", normalise(value)).lower()
    return t.strip("的了吧啊呢")


def same(name: str, expected: Any, got: Any) -> bool:
    """Exact for every field but ``defect``, where one containing the other is right (free text)."""
    if name == "defect" and isinstance(expected, str) and isinstance(got, str):
        a, b = _squash(expected), _squash(got)
        return min(len(a), len(b)) >= 2 and (a in b or b in a)
    return bool(expected == got)


def evaluate(examples: Iterable[Example], parse: Callable[[str, datetime], Understood]) -> Report:
    """Run ``parse`` over ``examples`` and count."""
    report = Report()
    for ex in examples:
        got = parse(ex.text, ex.now)
        report.examples += 1
        intent_ok = got.intent == ex.intent
        report.intents_right += intent_ok
        wrong = []
        for name in sorted(set(ex.slots) | set(got.slots)):
            report.fields += 1
            if same(name, ex.slots.get(name), got.slots.get(name)):
                report.fields_right += 1
            else:
                wrong.append(name)
        if not intent_ok or wrong:
            report.misses.append(Miss(ex, got, wrong))
    return report


def render(report: Report) -> list[str]:
    """Figures first, then one block per miss."""
    lines = [
        f"messages: {report.examples}",
        f"intent accuracy: {report.intent_accuracy:.3f} ({report.intents_right}/{report.examples})",
        f"field accuracy: {report.field_accuracy:.3f} ({report.fields_right}/{report.fields})",
        f"misses: {len(report.misses)}",
    ]
    for miss in report.misses:
        ex, got = miss.example, miss.got
        lines.append(f"- {ex.text}")
        if got.intent != ex.intent:
            lines.append(f"    intent: expected {ex.intent}, got {got.intent}")
        for name in miss.wrong_fields:
            want = json.dumps(ex.slots.get(name), ensure_ascii=False)
            have = json.dumps(got.slots.get(name), ensure_ascii=False)
            lines.append(f"    {name}: expected {want}, got {have}")
    return lines
