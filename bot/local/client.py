"""Local channel 'delivery': hands each message to a sink (the CLI prints it) or keeps it for ``take()``; the
outbox row is marked sent only after this returns, so a message is never marked sent before it was printed."""

from __future__ import annotations

from collections.abc import Callable

from core.messages import Delivery


class LocalSender:
    """Delivers to ``sink`` when one is set (printed and flushed before ``send`` returns), else collects delivered
    messages in order for ``take()``, which hands them over and forgets them."""

    def __init__(self, sink: Callable[[Delivery], None] | None = None) -> None:
        self.sink = sink
        self._delivered: list[Delivery] = []

    def send(self, delivery: Delivery) -> None:
        """A person on the local channel 'receives' the message (an error from the sink leaves it unsent)."""
        if self.sink is not None:
            self.sink(delivery)
        else:
            self._delivered.append(delivery)

    def take(self) -> list[Delivery]:
        """Everything delivered since the last call (nothing while a sink is set)."""
        out, self._delivered = self._delivered, []
        return out
