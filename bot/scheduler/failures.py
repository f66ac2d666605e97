"""Scheduled jobs that fail: each failure counted in the database (the streak is shared by every worker and survives
restarts), a success ends the streak, and a job that keeps failing is reported once to the admins in chat."""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from datetime import datetime

from bot.notify.outbox import ChannelFor, enqueue
from bot.protocol import message_payload
from core.messages import OutboundMessage, Recipient
from core.org import Org, Role
from core.ports import JobFailure, UnitOfWork

log = logging.getLogger(__name__)

ALERT_AFTER = 3  # consecutive failed passes of one job before the admins are told (once per streak)
ERROR_CHARS = 120  # of the error, in the admins' message


def one_line(error: BaseException) -> str:
    """The error as one short line: its type and the first line of its message."""
    lines = str(error).strip().splitlines()
    text = f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__
    return text if len(text) <= ERROR_CHARS else text[: ERROR_CHARS - 1] + "…"


def alert_text(label: str, streak: JobFailure) -> str:
    """The admins' message: which job keeps failing, how often, the last error; the others still run."""
    return f"⚠️ 定时任务「{label}」连续失败 {streak.failures} 次:{streak.last_error}。其他任务照常运行,请检查日志。"


def failing(uow: Callable[[], UnitOfWork]) -> Collection[str]:
    """The jobs with a current streak (none when the database cannot say: the pass runs anyway)."""
    try:
        with uow() as u:
            return {streak.job for streak in u.jobs.failing()}
    except Exception as e:  # the database is down: each job will say so with its traceback
        log.warning("cannot read the failure streaks of scheduled jobs: %s", one_line(e))
        return set()


def recovered(uow: Callable[[], UnitOfWork], job: str) -> None:
    """``job`` ran: its streak ends (a later streak is reported again)."""
    try:
        with uow() as u:
            u.jobs.clear(job)
            u.commit()
    except Exception as e:
        log.warning("cannot clear the failure streak of scheduled job %s: %s", job, one_line(e))


def failed(
    uow: Callable[[], UnitOfWork],
    *,
    org: Org,
    channel_for: ChannelFor,
    job: str,
    label: str,
    error: str,
    now: datetime,
    alert_after: int = ALERT_AFTER,
) -> None:
    """Count one more failed pass of ``job`` in a transaction of its own (the job's was rolled back); at
    ``alert_after`` in a row, tell the admins once (the streak's flag and the outbox key: once, however many
    workers)."""
    try:
        with uow() as u:
            streak = u.jobs.record(job, error=error, at=now)
            if streak.failures >= alert_after and u.jobs.mark_reported(job):
                admins = org.with_role(Role.ADMIN)
                if not admins:
                    log.error("scheduled job %s failed %d times in a row; no admin to tell", job, streak.failures)
                payload = message_payload(text=alert_text(label, streak))
                started = f"{streak.first_at:%Y%m%dT%H%M%S.%f}"
                messages = [
                    OutboundMessage(Recipient.user(p.id), payload, f"jobfail:{job}:{started}:{p.id}") for p in admins
                ]
                enqueue(u, messages, channel_for=channel_for, now=now)
            u.commit()
    except Exception as e:  # the job's own error was logged with its traceback
        log.warning("cannot record the failure of scheduled job %s: %s", job, one_line(e))
