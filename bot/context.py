"""What a handler gets: the unit of work, the org and policy, the event, and a way to send messages."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from bot.cards.kinds import CardKind
from bot.protocol import Card, Click, InboundEvent, message_payload
from core.errors import MissingFields, NotFound
from core.messages import Recipient
from core.org import Org
from core.policy import Policy
from core.ports import UnitOfWork
from core.report import MonthlySummary

T = TypeVar("T")


@dataclass(frozen=True)
class Understood:
    """The intent of a text message and the fields found in it."""

    intent: str
    slots: dict[str, Any] = field(default_factory=dict)
    entities: dict[str, Any] = field(default_factory=dict)  # everything found, whatever the intent (for answers)
    invalid: dict[str, str] = field(default_factory=dict)  # a field written but not valid (-5个, 2月30日) → why not

    def refuse_invalid(self, *fields: str) -> None:
        """MissingFields with the sentence of each of ``fields`` the message wrote but is not valid (-5个, 1.5个,
        2月30日): the person is told and nothing is stored; a wrong value is never used instead."""
        bad = tuple(name for name in fields if name in self.invalid)
        if bad:
            raise MissingFields("".join(self.invalid[name] for name in bad), bad)


@dataclass
class Context:
    """One inbound event being handled inside one unit of work."""

    uow: UnitOfWork
    org: Org
    policy: Policy
    now: datetime
    event: InboundEvent
    outgoing: list[tuple[Recipient, dict[str, Any]]] = field(default_factory=list)
    monthly: Callable[[str], MonthlySummary] | None = None  # a month's statistics (``YYYY-MM``), when wired

    def send(self, to: Recipient, *, text: str | None = None, card: Card | None = None) -> None:
        """Queue a message; it reaches the outbox in this event's transaction."""
        self.outgoing.append((to, message_payload(text=text, card=card)))

    def attach(self, to: Recipient, *, media_id: str, kind: str = "image", name: str | None = None) -> None:
        """Queue a stored image or file (a chart, a report) as its own message."""
        payload: dict[str, Any] = {"text": None, "card": None, kind: media_id}
        if name:
            payload["file_name"] = name
        self.outgoing.append((to, payload))

    def tapped(self, kind: CardKind[T]) -> tuple[Click, T]:
        """The tap being handled and what its card id carries (record id and version, step or stage …)."""
        click = self.event.click
        ids = kind.parse(click.card_id) if click else None
        if click is None or ids is None:
            raise NotFound("卡片编号无效。")
        return click, ids

    def reply(self, text: str | None = None, *, card: Card | None = None) -> None:
        """Answer where the person spoke: the group chat if it came from one, else privately."""
        to = Recipient.chat(self.event.chat) if self.event.chat else Recipient.user(self.event.user)
        self.send(to, text=text, card=card)


IntentHandler = Callable[[Context, Understood], None]
ActionHandler = Callable[[Context], None]
# A follow-up sees every text first; it returns True when the text answered its open question.
FollowUp = Callable[[Context, Understood, str], bool]


class IntentRouter:
    """Maps intent names to handlers; routers are included explicitly by the composition root."""

    def __init__(self) -> None:
        self.handlers: dict[str, IntentHandler] = {}
        self.follow_ups: list[FollowUp] = []

    def follow_up(self, hook: FollowUp) -> FollowUp:
        """Register a hook that may take a text as the answer to a question the bot asked."""
        self.follow_ups.append(hook)
        return hook

    def intent(self, name: str) -> Callable[[IntentHandler], IntentHandler]:
        """Register the decorated function for intent ``name``."""

        def register(handler: IntentHandler) -> IntentHandler:
            if name in self.handlers:
                raise ValueError(f"intent {name!r} registered twice")
            self.handlers[name] = handler
            return handler

        return register

    def include(self, other: IntentRouter) -> None:
        """Add another router's intents."""
        for name, handler in other.handlers.items():
            self.intent(name)(handler)
        self.follow_ups.extend(other.follow_ups)


class ActionRouter:
    """Maps card kinds (bot/cards/kinds.py) to tap handlers; routers are included explicitly by the composition
    root."""

    def __init__(self) -> None:
        self.handlers: dict[CardKind[Any], ActionHandler] = {}

    def card(self, kind: CardKind[Any]) -> Callable[[ActionHandler], ActionHandler]:
        """Register the decorated function for the taps on cards of ``kind``."""

        def register(handler: ActionHandler) -> ActionHandler:
            if kind in self.handlers or not kind.tappable:
                raise ValueError(f"card kind {kind.name!r} handled twice, or it has no buttons")
            self.handlers[kind] = handler
            return handler

        return register

    def include(self, other: ActionRouter) -> None:
        """Add another router's card kinds."""
        for kind, handler in other.handlers.items():
            self.card(kind)(handler)

    def find(self, card_id: str) -> ActionHandler | None:
        """The handler for a card id: its kind's prefix starts the id (the longest such prefix wins)."""
        for kind in sorted(self.handlers, key=lambda k: len(k.prefix), reverse=True):
            if card_id.startswith(kind.prefix):
                return self.handlers[kind]
        return None
