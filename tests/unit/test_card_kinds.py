"""The card-kind table (bot/cards/kinds.py over core/kinds.py): every kind's ids parse back to what made them, no
kind's ids are another's, every kind has builders and each kind with buttons exactly one tap handler, and ids
and watch keys stay byte-for-byte what platforms and databases already hold."""

from __future__ import annotations

from typing import Any

import pytest

from bot.cards.kinds import CARDS, CardKind
from bot.context import ActionRouter
from bot.wiring import actions
from core import kinds
from core.limits import MAX_ID

RECORD_IDS = (1, 12, MAX_ID)
WATCH_KEYS = tuple(k.watch_key(n, clock) for k in kinds.KINDS for n in RECORD_IDS for clock in ("normal", "s0", "q1"))


def _samples(kind: CardKind[Any]) -> list[tuple[str, Any]]:
    """Card ids of ``kind`` with what each must parse to."""
    ids = kind.ids
    if isinstance(ids, kinds.ReminderKind):
        return [(ids.card_id(key), key) for key in WATCH_KEYS]
    assert isinstance(ids, kinds.Kind)
    out = []
    for n in RECORD_IDS:
        for numbers in ((0,) * len(ids.letters), tuple(range(3, 3 + len(ids.letters))), (MAX_ID,) * len(ids.letters)):
            out.append((ids.card_id(n, *numbers), (n, *numbers)))
    return out


@pytest.mark.parametrize("kind", CARDS, ids=lambda k: k.name)
def test_every_card_id_parses_back_to_what_it_was_made_from(kind: CardKind[Any]) -> None:
    for card_id, made_from in _samples(kind):
        assert card_id.startswith(kind.prefix)
        assert kind.parse(card_id) == made_from


@pytest.mark.parametrize("kind", CARDS, ids=lambda k: k.name)
def test_no_kind_parses_another_kinds_card_ids(kind: CardKind[Any]) -> None:
    for other in CARDS:
        if other is not kind:
            assert [i for i, _ in _samples(kind) if other.parse(i) is not None] == []


def test_every_tap_reaches_the_handler_of_its_own_kind() -> None:
    router = actions()
    assert len({k.prefix for k in CARDS}) == len(CARDS)
    for kind in CARDS:
        for card_id, _ in _samples(kind):
            assert router.find(card_id) is router.handlers.get(kind), card_id


def test_every_kind_has_a_builder_and_each_kind_with_buttons_one_handler() -> None:
    assert all(kind.builders and all(callable(b) for b in kind.builders) for kind in CARDS)
    assert set(actions().handlers) == {kind for kind in CARDS if kind.tappable}
    assert {kind.ids for kind in CARDS} == {*kinds.KINDS, kinds.REMINDER}


def test_a_kind_is_handled_once_and_a_view_not_at_all() -> None:
    router = ActionRouter()
    router.card(CARDS[0])(lambda ctx: None)
    with pytest.raises(ValueError):
        router.card(CARDS[0])(lambda ctx: None)
    view = next(kind for kind in CARDS if not kind.tappable)
    with pytest.raises(ValueError):
        router.card(view)(lambda ctx: None)


def test_card_ids_and_watch_keys_are_what_platforms_and_databases_hold() -> None:
    assert [
        kinds.COMPLAINT.card_id(12, 3),
        kinds.APPROVAL.card_id(4, 0),
        kinds.RETURN.card_id(5, 2),
        kinds.ORDER.card_id(6, 1),
        kinds.EIGHTD.card_id(7, 8),
        kinds.ANALYSIS.card_id(1, 2),
        kinds.VISIT.card_id(2, 0, 3),
        kinds.CAMPAIGN.card_id(3, 4, 5),
        kinds.CUSTOMER.card_id(9, 1),
        kinds.REMINDER.card_id("f12:normal"),
    ] == ["f12v3", "a4s0", "r5s2", "o6v1", "e7s8", "ra1v2", "v2q0s3", "sv3c4s5", "cust9v1", "nf12-normal"]
    assert [kinds.COMPLAINT.watch_key(12, "normal"), kinds.CAMPAIGN.watch_key(3, "c0")] == ["f12:normal", "sv3:c0"]
    assert kinds.REMINDER.parse_card_id("nsv3-c0") == "sv3:c0"


def test_a_watch_key_names_its_record_kind_and_id() -> None:
    for kind in kinds.KINDS:
        assert kinds.watched(kind.watch_key(42, "close")) == (kind, 42)
    for key in ("x1:normal", "f:normal", "f12", f"f{MAX_ID + 1}:normal", "F12:normal"):
        assert kinds.watched(key) is None


def test_card_ids_beyond_a_database_integer_or_not_ascii_are_not_ours() -> None:
    for card_id in (f"f{MAX_ID + 1}v1", "f١٢v1", "f12v", "f12v3x", "af12v3", "nf12normal", "f12"):
        assert [kind.name for kind in CARDS if kind.parse(card_id) is not None] == [], card_id
