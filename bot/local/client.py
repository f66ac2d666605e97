"""Local channel 'delivery': keeps each message so the CLI can print it (the outbox row is then sent)."""

from __future__ import annotations

from core.messages import Delivery


class LocalSender:
    """Collects delivered messages in order; ``take()`` hands them over and forgets them."""

    def __init__(self) -> None:
        self._delivered: list[Delivery] = []

    def send(self, delivery: Delivery) -> None:
        """A person on the local channel 'receives' the message."""
        self._delivered.append(delivery)

    def take(self) -> list[Delivery]:
        """Everything delivered since the last call."""
        out, self._delivered = self._delivered, []
        return out
