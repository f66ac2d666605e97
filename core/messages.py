"""Messages to people as the domain sees them: a recipient, a neutral payload and an idempotency key."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


class RecipientKind(StrEnum):
    """A person or a group chat."""

    USER = "user"
    CHAT = "chat"


@dataclass(frozen=True)
class Recipient:
    """Who a message goes to (config ids, not platform ids)."""

    kind: RecipientKind
    id: str

    @classmethod
    def user(cls, person_id: str) -> Recipient:
        """A person."""
        return cls(RecipientKind.USER, person_id)

    @classmethod
    def chat(cls, chat_id: str) -> Recipient:
        """A group chat."""
        return cls(RecipientKind.CHAT, chat_id)


@dataclass(frozen=True)
class OutboundMessage:
    """One message to one recipient. ``payload`` is the neutral JSON (text and/or card) adapters render.

    ``key`` makes delivery idempotent: the outbox stores a key once, so a replay writes nothing new.
    """

    recipient: Recipient
    payload: dict[str, Any]
    key: str


@dataclass(frozen=True)
class InboxEvent:
    """An inbound event as stored in the inbox."""

    id: int
    platform: str
    event_key: str
    payload: dict[str, Any]
    received_at: datetime
    attempts: int = 0


@dataclass(frozen=True)
class Delivery:
    """An outbox row claimed for sending."""

    id: int
    channel: str
    recipient: Recipient
    payload: dict[str, Any]
    key: str
    attempts: int
    created_at: datetime | None = None  # when the row was written (platform idempotency ids are derived from it)
