"""Which clocks have run out: pure, given ``now``."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from core.complaint import OPEN_STATES, Clock, Complaint


def overdue(forms: Iterable[Complaint], now: datetime) -> list[tuple[Complaint, Clock]]:
    """Open forms with a clock past its due time and not yet met."""
    return [
        (form, clock)
        for form in forms
        if form.state in OPEN_STATES
        for clock in form.clocks
        if clock.met_at is None and clock.due_at <= now
    ]
