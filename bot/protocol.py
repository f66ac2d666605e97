"""The neutral language between platform adapters and the bot: inbound events and cards."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, TypeVar

from bot.accounts import Accounts
from core.limits import clean
from core.messages import Delivery
from core.org import Org
from core.ports import UnitOfWork

T = TypeVar("T")


def _clean_or_none(text: str | None) -> str | None:
    return None if text is None else clean(text)


@dataclass(frozen=True)
class Click:
    """A tap on a card button, with whatever the person typed into the card's inputs (cleaned, see ``clean``)."""

    card_id: str
    action: str
    values: dict[str, str] = field(default_factory=dict)
    text_inputs: tuple[tuple[str, str], ...] = ()
    """The card's inputs (name, label) that the platform's card could not show (WeCom's template cards take no
    typed text): a refusal for want of one asks the person to type it (bot/dispatch/pending.py)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "card_id", clean(self.card_id))
        object.__setattr__(self, "action", clean(self.action))
        object.__setattr__(self, "values", {clean(k): clean(v) for k, v in self.values.items()})
        object.__setattr__(self, "text_inputs", tuple((clean(n), clean(label)) for n, label in self.text_inputs))

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"card_id": self.card_id, "action": self.action, "values": dict(self.values)}
        if self.text_inputs:
            data["text_inputs"] = [list(i) for i in self.text_inputs]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Click:
        return cls(
            card_id=data["card_id"],
            action=data["action"],
            values=dict(data.get("values") or {}),
            text_inputs=tuple((str(n), str(label)) for n, label in data.get("text_inputs") or ()),
        )


@dataclass(frozen=True)
class InboundEvent:
    """One thing a person did on a platform: typed text, sent a photo, or tapped a card.

    ``user`` is the person id in config (adapters translate platform ids); ``event_key`` is the
    platform's own id for the delivery, so a redelivery is recognised as a duplicate. Every text is cleaned
    here (``clean``), the one place every platform's event passes: adapters only translate.
    """

    platform: str
    event_key: str
    user: str
    at: datetime
    chat: str | None = None
    text: str | None = None
    image: str | None = None
    click: Click | None = None

    def __post_init__(self) -> None:
        for name in ("event_key", "user"):
            object.__setattr__(self, name, clean(getattr(self, name)))
        for name in ("chat", "text", "image"):
            object.__setattr__(self, name, _clean_or_none(getattr(self, name)))

    def to_dict(self) -> dict[str, Any]:
        """JSON for the inbox."""
        return {
            "platform": self.platform,
            "event_key": self.event_key,
            "user": self.user,
            "at": self.at.isoformat(),
            "chat": self.chat,
            "text": self.text,
            "image": self.image,
            "click": None if self.click is None else self.click.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> InboundEvent:
        """Back from inbox JSON."""
        click = data.get("click")
        return cls(
            platform=data["platform"],
            event_key=data["event_key"],
            user=data["user"],
            at=datetime.fromisoformat(data["at"]),
            chat=data.get("chat"),
            text=data.get("text"),
            image=data.get("image"),
            click=None if click is None else Click.from_dict(click),
        )


@dataclass(frozen=True)
class CardField:
    """A label and its value, shown as one line."""

    label: str
    value: str


@dataclass(frozen=True)
class Button:
    """A button; ``id`` is what comes back in a Click."""

    id: str
    label: str


@dataclass(frozen=True)
class Input:
    """A text input on a card; its value comes back in ``Click.values[name]``."""

    name: str
    label: str
    required: bool = False


@dataclass(frozen=True)
class Card:
    """A platform-neutral card. Its ``id`` names the record and the version it was made from."""

    id: str
    title: str
    fields: tuple[CardField, ...] = ()
    actions: tuple[Button, ...] = ()
    inputs: tuple[Input, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The neutral JSON every adapter renders from (and the local channel prints)."""
        return {
            "id": self.id,
            "title": self.title,
            "fields": [{"label": f.label, "value": f.value} for f in self.fields],
            "actions": [{"id": a.id, "label": a.label} for a in self.actions],
            "inputs": [{"name": i.name, "label": i.label, "required": i.required} for i in self.inputs],
        }


@dataclass(frozen=True)
class Outcome:
    """What became of one event: ``ok`` False when a rule refused it; ``text`` is what the person was told;
    ``replies`` are the messages to the person who sent it (for an inline answer to a tap); ``asks`` when the
    refusal waits for values the person will type (``Click.text_inputs``)."""

    processed: bool
    ok: bool = True
    text: str | None = None
    replies: tuple[dict[str, Any], ...] = ()
    asks: bool = False


class EventSink(Protocol):
    """What handles a stored event (``bot.dispatch.Dispatcher``), for the intake."""

    def process(self, event_id: int, *, now: datetime) -> Outcome:
        """Handle a stored event in one transaction."""
        ...


class Intake(Protocol):
    """The one way in for every platform's events (``bot/intake.py``): stored in group commits (the
    acknowledgement), then processed — texts and photos in the background, taps at once for an inline answer."""

    async def store(self, event: InboundEvent) -> int | None:
        """Store ``event`` durably in the next group commit (raises if the database refused it) and process it in
        the background; its inbox id, None for a duplicate delivery."""
        ...

    def submit(self, event: InboundEvent) -> Future[int | None]:
        """``store`` for a thread that is not the web server's event loop: wait on the future."""
        ...

    async def decide(self, event: InboundEvent) -> Outcome | None:
        """Store a tap and decide it at once, ahead of background work; None for a duplicate delivery."""
        ...

    def decide_now(self, event: InboundEvent) -> Outcome | None:
        """``decide`` for a thread that is not the web server's event loop."""
        ...

    async def keep_media(self, data: bytes, content_type: str) -> str:
        """Keep a photo someone sent, before its event is stored; its media id."""
        ...

    def keep_media_now(self, data: bytes, content_type: str) -> str:
        """``keep_media`` for a thread that is not the web server's event loop."""
        ...

    def call_urgent(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` (blocking) with its database work ahead of background work: an adapter's own state (the
        copies of cards it sent) while it answers."""
        ...

    def later(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn(*args)`` in the background, after the answer."""
        ...

    def settle(self, timeout: float = 30.0) -> bool:
        """Wait until everything queued is done; True when idle."""
        ...


def message_payload(*, text: str | None = None, card: Card | None = None) -> dict[str, Any]:
    """The outbox payload: a text, a card, or both."""
    return {"text": text, "card": card.to_dict() if card else None}


class PermanentDeliveryError(Exception):
    """The platform will never accept this message (e.g. the recipient does not exist): stop retrying."""


class Sender(Protocol):
    """Sends one outbox message through one platform; raises on failure (PermanentDeliveryError when
    retrying cannot help)."""

    def send(self, delivery: Delivery) -> None:
        """Deliver or raise."""
        ...


@dataclass(frozen=True)
class PlatformDeps:
    """What a platform adapter is built from: settings, who is who, the one way in for its events, the database
    (for the platform's own state: copies of cards it sent), the clock."""

    settings: Any  # bot.config.Settings (typed loosely: protocol sits below config)
    org: Org
    accounts: Accounts  # who is who on each platform
    uow: Callable[[], UnitOfWork]
    now: Callable[[], datetime]
    intake: Intake


@dataclass
class Platform:
    """A connected messaging platform: its webhook routes (a FastAPI APIRouter) and its outbox sender."""

    name: str
    router: Any
    sender: Sender
    connect: Callable[[], Callable[[], None]] | None = None
    """Start a long connection instead of webhooks (Feishu's, for ``kesu serve --feishu-ws``); returns the
    function that stops it."""
