"""Snapshot tests of every card kind on every platform: a wording or layout change shows as a reviewable diff.

For each card kind (``tests/cards/samples.py`` builds its variants from fixed data) the rendered output is
compared with a stored file, pretty-printed JSON (sorted keys, Chinese as is):

- ``tests/snapshots/neutral/<kind>.json``: the neutral outbox payload (``Card.to_dict()`` and the text beside it),
  what the local channel and the demo show;
- ``tests/snapshots/wecom/<kind>.json``: the WeCom template card message and the markdown fallback (groups and
  cards without buttons), from ``bot/wecom/render.py``;
- ``tests/snapshots/feishu/<kind>.json``: the Feishu Card JSON 2.0, from ``bot/feishu/render.py``.

A missing or different snapshot fails with a diff. After a deliberate change, rewrite the files and review the diff
in git before committing::

    KESU_UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/cards
"""

from __future__ import annotations

import difflib
import json
import os
from pathlib import Path
from typing import Any

import pytest

from bot.feishu import render as feishu
from bot.wecom import render as wecom
from tests.cards.samples import FEISHU_CHOICES, KINDS, Payload

SNAPSHOTS = Path(__file__).resolve().parents[1] / "snapshots"
UPDATE = "KESU_UPDATE_SNAPSHOTS"
WECOM_TASK_SALT = "snapshot"


def _neutral(payload: Payload) -> Any:
    return payload


def _wecom(payload: Payload) -> Any:
    task = wecom.task_id(str(payload["card"]["id"]), 1, WECOM_TASK_SALT)
    return {"template_card": wecom.card_message(payload, task=task), "markdown": wecom.markdown_message(payload)}


def _feishu(payload: Payload) -> Any:
    text = payload.get("text")
    return feishu.card(payload["card"], text=text if isinstance(text, str) else None, choices=FEISHU_CHOICES)


PLATFORMS = {"neutral": _neutral, "wecom": _wecom, "feishu": _feishu}


def dumps(data: Any) -> str:
    """The snapshot file's text: stable and readable in a diff."""
    return json.dumps(data, ensure_ascii=False, sort_keys=True, indent=2) + "\n"


def check_snapshot(path: Path, data: Any) -> None:
    """Fail unless ``path`` holds ``data``; with KESU_UPDATE_SNAPSHOTS=1 (re)write it instead."""
    text = dumps(data)
    if os.environ.get(UPDATE) == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    name = path.relative_to(SNAPSHOTS.parent.parent)
    if not path.exists():
        pytest.fail(f"snapshot {name} is missing: run with {UPDATE}=1 to write it, then review and commit it")
    stored = path.read_text(encoding="utf-8")
    if stored != text:
        diff = "".join(
            difflib.unified_diff(
                stored.splitlines(keepends=True), text.splitlines(keepends=True), f"{name} (stored)", f"{name} (now)"
            )
        )
        pytest.fail(
            f"snapshot {name} differs from what the code renders now. If the change is intended, run with {UPDATE}=1 "
            f"and review the diff in git.\n{diff}",
            pytrace=False,
        )


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_every_card_kind_renders_as_its_stored_snapshot(platform: str, kind: str) -> None:
    render = PLATFORMS[platform]
    rendered = {variant: render(payload) for variant, payload in KINDS[kind]().items()}
    check_snapshot(SNAPSHOTS / platform / f"{kind}.json", rendered)


def test_every_snapshot_file_belongs_to_a_card_kind_and_platform() -> None:
    """A snapshot left behind by a renamed kind is an error, not a silent leftover."""
    expected = {SNAPSHOTS / p / f"{k}.json" for p in PLATFORMS for k in KINDS}
    assert set(SNAPSHOTS.glob("*/*.json")) <= expected


def test_a_changed_label_fails_the_snapshot_with_a_diff_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(UPDATE, raising=False)
    payload = KINDS["complaint"]()["submitted"]
    path = SNAPSHOTS / "neutral" / "complaint.json"
    stored = json.loads(path.read_text(encoding="utf-8"))
    assert stored["submitted"] == payload
    changed = json.loads(json.dumps(payload))
    changed["card"]["actions"][0]["label"] = "有效!"
    with pytest.raises(pytest.fail.Exception, match="有效!"):
        check_snapshot(path, {**stored, "submitted": changed})


def test_a_missing_snapshot_fails_and_says_how_to_write_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(UPDATE, raising=False)
    with pytest.raises(pytest.fail.Exception, match=UPDATE):
        check_snapshot(SNAPSHOTS / "neutral" / "no-such-kind.json", {})
