"""Fixtures: the fake Feishu server, and Kesu built on it with Feishu as its only platform."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from bot.config import Settings
from bot.web import create_app
from bot.wiring import Kesu, build
from storage.db import make_engine
from tests.feishu import fake as f


def feishu_settings(db_url: str, domain: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": db_url,
        "config": None,
        "wecom_corp_id": None,
        "feishu_app_id": f.APP_ID,
        "feishu_app_secret": f.APP_SECRET,
        "feishu_verification_token": f.VERIFICATION_TOKEN,
        "feishu_encrypt_key": f.ENCRYPT_KEY,
        "feishu_domain": domain,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def fake() -> Iterator[f.FakeFeishu]:
    yield from f.FakeFeishu().serve()


@dataclass
class FeishuBot:
    """Kesu behind its real webhooks, talking to the fake Feishu."""

    kesu: Kesu
    http: TestClient
    fake: f.FakeFeishu
    db_url: str

    def post(self, path: str, payload: dict[str, Any], **kw: Any) -> Any:
        """Post a signed request; returns once the work it handed to the background pool is done."""
        body, headers = f.signed(payload, **kw)
        resp = self.http.post(path, content=body, headers=headers)
        self.settle()
        return resp

    def settle(self) -> None:
        """Wait (bounded) for Kesu's background work (processing after the acknowledgement)."""
        assert self.kesu.intake.settle(timeout=30), "processing did not finish"

    def say(self, open_id: str, text: str, **kw: Any) -> Any:
        """A text message event; the response (processing ran in the response's background task)."""
        return self.post("/feishu/events", f.message_event(open_id, text=text, **kw))

    def tap(self, open_id: str, card_id: str, action: str, *, message_id: str, **form: str) -> dict[str, Any]:
        """A card button (with the form's values); the inline answer."""
        payload = f.card_event(open_id, card_id, action, form=form or None, message_id=message_id)
        resp = self.post("/feishu/card", payload)
        assert resp.status_code == 200, resp.text
        answer: dict[str, Any] = resp.json()
        return answer

    def deliver(self) -> list[dict[str, Any]]:
        """Drain the outbox; the messages the fake received during it (patches as msg_type "patch")."""
        self.fake.forget()
        self.kesu.outbox.drain(now=self.kesu.now())
        out = self.fake.sent()
        out += [{"msg_type": "patch", "message_id": mid, "content": card} for mid, card in self.fake.patched()]
        return out

    def count(self, sql: str) -> int:
        engine = make_engine(self.db_url)
        with engine.connect() as conn:
            value = int(conn.execute(sa.text(sql)).scalar_one())
        engine.dispose()
        return value

    def later(self, minutes: int) -> None:
        """Let failed deliveries fall due: drain at a later time."""
        self.kesu.outbox.drain(now=self.kesu.now() + timedelta(minutes=minutes))


@pytest.fixture
def bot(db_url: str, fake: f.FakeFeishu) -> Iterator[FeishuBot]:
    kesu = build(feishu_settings(db_url, fake.url))
    with TestClient(create_app(kesu, worker=False)) as http:
        yield FeishuBot(kesu=kesu, http=http, fake=fake, db_url=db_url)
    kesu.close()


def card_of(message: dict[str, Any]) -> dict[str, Any]:
    """The Card JSON 2.0 of an interactive message (or patch)."""
    assert message["msg_type"] in ("interactive", "patch"), message
    card: dict[str, Any] = message["content"]
    return card


def card_text(card: dict[str, Any]) -> str:
    """All markdown and titles of a card, as one string (HTML entities left as sent)."""
    return json.dumps(card, ensure_ascii=False)


def buttons(card: dict[str, Any]) -> list[dict[str, Any]]:
    """Every callback value of the card's buttons, in order (inside a form or not)."""
    out: list[dict[str, Any]] = []

    def walk(elements: list[dict[str, Any]]) -> None:
        for e in elements:
            if e.get("tag") == "button":
                out.extend(b["value"] for b in e.get("behaviors", []) if b.get("type") == "callback")
            walk(e.get("elements", []))

    walk(card["body"]["elements"])
    return out


def card_id(card: dict[str, Any]) -> str:
    """The Kesu card id its buttons carry."""
    ids = {str(b["card"]) for b in buttons(card)}
    assert len(ids) == 1, ids
    return ids.pop()


def to(messages: list[dict[str, Any]], receive_id: str) -> list[dict[str, Any]]:
    return [m for m in messages if m.get("receive_id") == receive_id]


def only(messages: list[dict[str, Any]], receive_id: str) -> dict[str, Any]:
    found = to(messages, receive_id)
    assert len(found) == 1, f"expected one message to {receive_id}, got {found}"
    return found[0]
