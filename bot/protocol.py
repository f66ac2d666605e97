"""The neutral language between platform adapters and the bot: inbound events and cards."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from bot.accounts import Accounts
from core.limits import clean
from core.messages import Delivery
from core.org import Org
from core.ports import UnitOfWork


def _clean_or_none(text: str | None) -> str | None:
    return None if text is None else clean(text)


@dataclass(frozen=True)
class Click:
    """A tap on a card button, with whatever the person typed into the card's inputs (cleaned, see ``clean``)."""

    card_id: str
    action: str
    values: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "card_id", clean(self.card_id))
        object.__setattr__(self, "action", clean(self.action))
        object.__setattr__(self, "values", {clean(k): clean(v) for k, v in self.values.items()})


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
            "click": None
            if self.click is None
            else {"card_id": self.click.card_id, "action": self.click.action, "values": dict(self.click.values)},
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
            click=None
            if click is None
            else Click(card_id=click["card_id"], action=click["action"], values=dict(click.get("values") or {})),
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
    ``replies`` are the messages to the person who sent it (for an inline answer to a tap)."""

    processed: bool
    ok: bool = True
    text: str | None = None
    replies: tuple[dict[str, Any], ...] = ()


class EventSink(Protocol):
    """Where platform adapters hand inbound events: store first (the acknowledgement), then process."""

    def ingest(self, event: InboundEvent, *, now: datetime) -> int | None:
        """Store the event durably; None when it is a duplicate delivery."""
        ...

    def process(self, event_id: int, *, now: datetime) -> Outcome:
        """Handle a stored event in one transaction."""
        ...


@dataclass(frozen=True)
class Prepare:
    """A platform's own step inside the inbox write, once per batch: the references of the copies of card
    ``card_id`` that ``platform`` keeps for the batch's senders are read in one query (``PlatformState.copies_of``),
    then ``apply(events, refs)`` gives, for each event, the event to store and anything it learnt. A declared
    read, not database code: the writer runs it on whichever connection it writes with (bot/intake.py)."""

    platform: str
    card_id: str
    apply: Callable[[list[InboundEvent], Mapping[str, str]], list[tuple[InboundEvent, Any]]]


Stored = tuple[int | None, Any]
"""An event's inbox id (None for a duplicate delivery) and what its ``Prepare`` learnt."""


class Intake(Protocol):
    """How webhooks acknowledge fast (``bot/intake.py``): store in group commits, work after the answer."""

    def call_urgent(self, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(*args)`` (blocking) with its database work ahead of background work: inline tap decisions."""
        ...

    def store(
        self, event: InboundEvent, prepare: Prepare | None = None, then: Callable[[Stored], Any] | None = None
    ) -> Awaitable[Stored]:
        """Store ``event`` durably in the next group commit; then (unless a duplicate) ``then(stored)`` in the
        background, queued by the writer for the whole batch."""
        ...

    def submit(
        self, event: InboundEvent, prepare: Prepare | None = None, then: Callable[[Stored], Any] | None = None
    ) -> Future[Stored]:
        """``store`` for a thread that is not the web server's event loop: wait on the future."""
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
    """What a platform adapter is built from: settings, who is who, where events go, the database, the clock."""

    settings: Any  # bot.config.Settings (typed loosely: protocol sits below config)
    org: Org
    accounts: Accounts  # who is who on each platform
    sink: EventSink
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
