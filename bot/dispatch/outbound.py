"""Deliver the outbox: lease due rows, send each through its channel's sender, record the result."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta

from bot.protocol import PermanentDeliveryError, Sender

__all__ = ["OutboxDispatcher", "PermanentDeliveryError", "Sender", "backoff"]
from core.messages import Delivery
from core.ports import UnitOfWork

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)
# Sending stops this long after a pass began, leaving the rest of its rows leased: once a lease runs out another
# worker may claim the row, and a row sent by both would arrive twice. A send takes well under a minute (each call
# times out), so the last one started inside this budget is done before the lease ends.
SEND_BUDGET = LEASE / 2
MAX_BACKOFF = timedelta(minutes=15)


def backoff(attempts: int) -> timedelta:
    """5 s, 10 s, 20 s … capped at 15 minutes: an outage delays messages, never drops them."""
    return min(timedelta(seconds=5 * 2 ** min(attempts, 20)), MAX_BACKOFF)


class OutboxDispatcher:
    """Sends due outbox rows. Rows are leased in a short transaction, so sending holds no database lock."""

    def __init__(
        self,
        *,
        uow: Callable[[], UnitOfWork],
        senders: Mapping[str, Sender],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.uow = uow
        self.senders = senders
        self.clock = clock  # seconds, to measure how long a pass has been sending (never for ``now``)

    def deliver_due(self, *, now: datetime, limit: int = 100, started: float | None = None) -> list[Delivery]:
        """One pass; returns what was delivered, in order. Leases run from ``now``, so sending stops once
        SEND_BUDGET has passed since ``started`` (the clock's reading when the pass began; default: this call)."""
        started = self.clock() if started is None else started
        with self.uow() as uow:
            batch = uow.outbox.claim(now=now, limit=limit, channels=list(self.senders), lease_until=now + LEASE)
            uow.commit()
        delivered: list[Delivery] = []
        for i, d in enumerate(batch):
            if self.clock() - started > SEND_BUDGET.total_seconds():
                log.warning("outbox pass over its time budget: %s leased messages wait for their lease", len(batch) - i)
                break
            error: str | None = None
            permanent = False
            try:
                self.senders[d.channel].send(d)
            except PermanentDeliveryError as e:
                error, permanent = f"permanent: {e}", True
            except Exception as e:
                error = f"{type(e).__name__}: {e}"
            except BaseException:  # interrupted mid-send (Ctrl+C, exit): this row and the rest are due again at once
                self._release(batch[i:], now=now)
                raise
            with self.uow() as uow:
                if error is None:
                    uow.outbox.mark_sent(d.id, now=now)
                    delivered.append(d)
                else:
                    log.warning("outbox %s to %s failed (attempt %s): %s", d.id, d.recipient, d.attempts + 1, error)
                    retry = None if permanent else now + backoff(d.attempts)
                    uow.outbox.mark_failed(d.id, now=now, error=error, retry_at=retry)
                uow.commit()
        return delivered

    def _release(self, rows: Sequence[Delivery], *, now: datetime) -> None:
        """Give up the lease of rows not (surely) sent, so the next pass sends them: at least once, never lost."""
        with self.uow() as uow:
            for d in rows:
                uow.outbox.mark_failed(d.id, now=now, error="interrupted", retry_at=now)
            uow.commit()

    def drain(self, *, now: datetime, limit: int = 100) -> list[Delivery]:
        """Deliver until nothing is due at ``now`` (failed rows wait for their retry time)."""
        started = self.clock()
        out: list[Delivery] = []
        while self.clock() - started <= SEND_BUDGET.total_seconds() and (
            batch := self.deliver_due(now=now, limit=limit, started=started)
        ):
            out += batch
        return out
