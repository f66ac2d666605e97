"""Values asked for by text (bot/dispatch/pending.py): a tap from a platform whose cards take no typed text,
refused for want of a value, is answered by the person's next message — and only by a message stored after it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.config import Settings
from bot.dispatch.pending import STATE, Pending, fill_values
from bot.local.parse import click_event, say_event
from bot.protocol import Click, InboundEvent
from bot.wiring import Kesu, build

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=TZ)
INPUTS = (("department", "责任部门"), ("reason", "原因"))


@pytest.fixture
def kesu(db_url: str) -> Iterator[Kesu]:
    k = build(Settings(database_url=db_url, config=None))
    yield k
    k.close()


def _qa_card(kesu: Kesu) -> str:
    """A submitted complaint waiting for QA; its card id."""
    kesu.run_local(say_event(user="sales1", text="明辉电子投诉X200外壳划伤,200个,急", now=T0), now=T0)
    kesu.run_local(click_event(user="sales1", card_id="f1v1", action="confirm", values={}, now=T0), now=T0)
    return "f1v2"


def _tap(card: str, at: datetime, key: str = "tap1") -> InboundEvent:
    """QA taps 有效 on a WeCom-like card that could not show the department input."""
    click = Click(card_id=card, action="valid", text_inputs=INPUTS)
    return InboundEvent(platform="wecom", event_key=key, user="qa1", at=at, click=click)


def _text(text: str, at: datetime, key: str) -> InboundEvent:
    return InboundEvent(platform="wecom", event_key=key, user="qa1", at=at, text=text)


def _run(kesu: Kesu, event: InboundEvent) -> None:
    event_id = kesu.dispatcher.ingest(event, now=event.at)
    assert event_id is not None
    kesu.dispatcher.process(event_id, now=event.at)


def _state(kesu: Kesu) -> str | None:
    with kesu.uow() as u:
        return u.platform.copy_of(STATE, recipient="qa1", card_id="pending")


def _dept_card_sent(kesu: Kesu) -> bool:
    kesu.outbox.drain(now=T0 + timedelta(hours=1))
    return any(d.recipient.id == "rd1" for d in kesu.local.take())


def test_a_refused_tap_asks_and_the_next_message_answers_it_in_one_transaction(kesu: Kesu) -> None:
    card = _qa_card(kesu)
    event_id = kesu.dispatcher.ingest(_tap(card, T0), now=T0)
    assert event_id is not None
    outcome = kesu.dispatcher.process(event_id, now=T0)
    assert not outcome.ok and outcome.asks and "责任部门" in (outcome.text or "")
    assert _state(kesu)  # kept with the refusal
    _run(kesu, _text("研发部", T0 + timedelta(minutes=1), "m1"))
    assert _dept_card_sent(kesu)
    assert not _state(kesu)  # answered: cleared with the change it made


def test_a_message_stored_before_the_tap_is_not_read_as_its_answer(kesu: Kesu) -> None:
    card = _qa_card(kesu)
    early = kesu.dispatcher.ingest(_text("研发部", T0, "early"), now=T0)  # stored, not yet processed
    assert early is not None
    assert kesu.dispatcher.process(kesu.dispatcher.ingest(_tap(card, T0), now=T0) or 0, now=T0).asks
    kesu.dispatcher.process(early, now=T0)  # processed after the tap: still an ordinary message
    assert not _dept_card_sent(kesu)
    assert _state(kesu)  # the tap still waits for its answer


def test_an_answer_after_the_window_is_an_ordinary_message(kesu: Kesu) -> None:
    card = _qa_card(kesu)
    _run(kesu, _tap(card, T0))
    _run(kesu, _text("研发部", T0 + timedelta(minutes=11), "late"))
    assert not _dept_card_sent(kesu)


def test_values_refused_again_may_be_typed_once_more_and_cancel_drops_the_tap(kesu: Kesu) -> None:
    card = _qa_card(kesu)
    _run(kesu, _tap(card, T0))
    _run(kesu, _text("研发", T0 + timedelta(minutes=1), "m1"))  # no such department: asked again
    assert not _dept_card_sent(kesu) and _state(kesu)
    _run(kesu, _text("取消", T0 + timedelta(minutes=2), "m2"))
    assert not _state(kesu)
    _run(kesu, _text("研发部", T0 + timedelta(minutes=3), "m3"))
    assert not _dept_card_sent(kesu)


def test_a_crash_while_answering_keeps_the_tap_for_the_retry(kesu: Kesu, monkeypatch: pytest.MonkeyPatch) -> None:
    card = _qa_card(kesu)
    _run(kesu, _tap(card, T0))
    handler = kesu.dispatcher.actions.find(card)
    assert handler is not None
    calls = 0

    def flaky(ctx: object) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("the database went away")
        handler(ctx)  # type: ignore[arg-type]

    monkeypatch.setattr(kesu.dispatcher.actions, "find", lambda _: flaky)
    event_id = kesu.dispatcher.ingest(_text("研发部", T0 + timedelta(minutes=1), "m1"), now=T0)
    assert event_id is not None
    assert not kesu.dispatcher.process(event_id, now=T0).processed
    assert _state(kesu)
    assert kesu.dispatcher.process_pending(now=T0) == 1  # the worker's retry answers the tap
    assert _dept_card_sent(kesu)


def test_a_tap_whose_card_took_the_values_itself_never_asks(kesu: Kesu) -> None:
    card = _qa_card(kesu)
    tap = _tap(card, T0)
    assert tap.click is not None
    event_id = kesu.dispatcher.ingest(replace(tap, click=replace(tap.click, text_inputs=())), now=T0)
    outcome = kesu.dispatcher.process(event_id or 0, now=T0)
    assert not outcome.ok and not outcome.asks and not _state(kesu)


def test_typed_values_fill_the_labelled_inputs_or_else_the_missing_one() -> None:
    p = Pending("f1v2", "valid", INPUTS, ("department",), T0, 1)
    assert fill_values("研发部", p) == {"department": "研发部"}
    assert fill_values("原因:包装\n责任部门=品质部", p) == {"reason": "包装", "department": "品质部"}
    assert fill_values("责任:研发部", p) == {"department": "研发部"}  # a label's start names it
    assert Pending.from_json(p.to_json()) == p
