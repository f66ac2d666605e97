"""One scheduler pass (reminders and escalations, ``Scheduler.nag``) over 100,000 open forms.

    .venv/bin/python bench/scheduler_scale.py [--db sqlite|postgres] [--open 100000] [--due 300] [--passes 5]

Loads ``--open`` open forms (state 待责任部门处理, first-response and handling clocks running) into a scratch
database as Kesu's writers store them (the storage mapper, then one bulk insert): most were logged in the
last 21 hours, so none of their reminder points has come (half-time, one working day before the due time,
the due time, escalations after it); ``--due`` of them were logged 2–9 days ago, so each has a reminder or
escalation due. Then, at a fixed ``now`` (Tuesday 2026-11-24 10:00, Shanghai), it runs what ``kesu serve``'s
worker runs, each timed, all in the same run:

- the reminder pass: the first one (it looks at every form once and notes when each can next have a stage
  due), then ``--passes`` more one second apart (each loads only the forms whose noted time has come);
- the full scan: what every pass did before the notes — every open form and record loaded and every clock's
  stages computed (``core.watches.running`` + ``due_nudge``);
- the other jobs of a pass: the daily digest and the monthly report job (each once, when claimed), and the
  whole pass (``Scheduler.tick``) in steady state;
- floors: the same passes over an empty database, and a bare indexed ``count(*)`` of the clocks past due.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script: the repository's own packages

from bench._scratch import PG_ADMIN, Scratch, db_time, finish, load, scratch
from bot.config import Settings
from bot.wiring import Kesu, build
from core.clocks import ClockName
from core.complaint import Clock, Complaint, Details, Severity, State
from core.nag import due_nudge
from core.watches import running
from storage.mappers import complaint_to_row

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=TZ)  # a Tuesday
CUSTOMERS = ("明辉电子", "顺达电器", "美的", "格力", "华为")
PRODUCTS = ("X200", "FX-90", "P40")


def forms(n_open: int, n_due: int, seed: int = 11) -> list[Complaint]:
    """``n_open`` open, assigned forms; the last ``n_due`` have a reminder or escalation due at NOW."""
    rnd = random.Random(seed)
    out = []
    for i in range(n_open):
        due = i >= n_open - n_due
        # due: 2 to 9 days old, past half-time of the first response, some overdue and escalating; the rest at
        # most 0.9 days old, so no clock is at half-time yet (the urgent one runs 2 days)
        age = timedelta(days=rnd.uniform(2, 9)) if due else timedelta(hours=rnd.uniform(0.2, 21.6))
        created = NOW - age
        urgent = rnd.random() < 0.15
        handling = ClockName.URGENT if urgent else ClockName.NORMAL
        out.append(
            Complaint(
                id=i + 1,
                owner=("sales1", "sales2")[i % 2],
                created_at=created,
                details=Details(
                    customer=CUSTOMERS[i % len(CUSTOMERS)],
                    product=PRODUCTS[i % len(PRODUCTS)],
                    defect="外壳划伤",
                    quantity=200,
                    severity=Severity.URGENT if urgent else Severity.NORMAL,
                ),
                state=State.ASSIGNED,
                version=3,
                number=f"KS-{created:%Y%m}-{i + 1:05d}",
                submitted_at=created,
                qa_owner="qa1",
                department="rd",
                problem="appearance",
                round=1,
                clocks=(
                    Clock(ClockName.FIRST_RESPONSE, created + timedelta(days=3)),
                    Clock(handling, created + timedelta(days=2 if urgent else 7)),
                ),
                last_at=created,
            )
        )
    return out


def _plain(value: Any) -> Any:
    return db_time(value) if isinstance(value, datetime) else value


def load_forms(db: Scratch, items: list[Complaint]) -> float:
    """Bulk-insert the forms as the storage mapper writes them, with their ``complaint_clock`` rows."""
    started = time.perf_counter()
    rows = []
    for form in items:
        row = complaint_to_row(form).model_dump()
        row["id"] = form.id
        rows.append(row)
    columns = list(rows[0])
    load(db, "complaint", columns, ([_plain(r[c]) for c in columns] for r in rows))
    clocks = (
        (f.id, c.name.value, db_time(f.created_at), db_time(c.due_at), db_time(c.met_at))
        for f in items
        for c in f.clocks
    )
    load(db, "complaint_clock", ("complaint_id", "name", "started_at", "due_at", "met_at"), clocks)
    finish(db, ["complaint", "complaint_clock"])
    return time.perf_counter() - started


def _timed(fn: Callable[[datetime], int], at: datetime) -> tuple[float, int]:
    started = time.perf_counter()
    result = fn(at)
    return time.perf_counter() - started, result


def full_scan(kesu: Kesu, now: datetime) -> int:
    """Every open record loaded and every clock's stages computed: the pass before it was planned."""
    policy = kesu.dispatcher.policy
    due = 0
    with kesu.uow() as uow:
        for watch in running(uow, kesu.config.org):
            nudge = due_nudge(
                watch,
                policy.reminders.policy(watch.clock),
                kesu.config.org,
                calendar=policy.calendar,
                tz=policy.tz,
                work=policy.reminders.work,
                now=now,
            )
            due += nudge is not None
    return due


def nag(kesu: Kesu) -> Callable[[datetime], int]:
    """The pass under test: the worker's reminders and escalations."""
    return lambda at: kesu.scheduler.nag(now=at)


def tick(kesu: Kesu) -> Callable[[datetime], int]:
    """The worker's whole pass."""
    return lambda at: len(kesu.scheduler.tick(now=at))


def _kesu(url: str) -> Kesu:
    os.environ.pop("KESU_CONFIG", None)
    return build(Settings(database_url=url, config=None))


def _count_due(kesu: Kesu, now: datetime) -> float:
    started = time.perf_counter()
    with kesu.engine.connect() as conn:
        conn.execute(
            sa.text("SELECT count(*) FROM complaint_clock WHERE due_at <= :now"),
            {"now": db_time(now) if kesu.engine.dialect.name == "sqlite" else now.astimezone(UTC).replace(tzinfo=None)},
        ).scalar_one()
    return time.perf_counter() - started


def _loaded(kesu: Kesu, at: datetime) -> int:
    """How many open forms a pass at ``at`` loads."""
    with kesu.uow() as uow:
        return len(uow.complaints.nag_due(rules=kesu.scheduler.rules, now=at))


def run(args: argparse.Namespace) -> None:
    with scratch(args.db, pg_admin=args.pg_url) as empty:  # the floor: the same passes with nothing open
        kesu = _kesu(empty.url)
        kesu.scheduler.tick(now=NOW)  # the day's digest and the month's report are claimed
        floor_passes = [_timed(nag(kesu), NOW + timedelta(seconds=i))[0] for i in range(1, 6)]
        floor_ticks = [_timed(tick(kesu), NOW + timedelta(seconds=i))[0] for i in range(6, 11)]
        kesu.close()
    with scratch(args.db, pg_admin=args.pg_url) as db:
        t = time.perf_counter()
        items = forms(args.open, args.due)
        generated = time.perf_counter() - t
        loading = load_forms(db, items)
        del items  # not kept alive: 100,000 forms in memory would slow every garbage collection below
        gc.collect()
        print(f"{args.open} open forms ({args.due} with a stage due): made {generated:.1f} s, loaded {loading:.1f} s")
        kesu = _kesu(db.url)
        first, queued = _timed(nag(kesu), NOW)
        passes: list[float] = []
        more = 0
        for i in range(1, args.passes + 1):
            took, more = _timed(nag(kesu), NOW + timedelta(seconds=i))
            passes.append(took)
        loaded = _loaded(kesu, NOW + timedelta(seconds=args.passes + 1))
        scans: list[float] = []
        found = 0
        for i in range(args.scans):
            took, found = _timed(lambda at: full_scan(kesu, at), NOW + timedelta(seconds=i))
            scans.append(took)
        digest, _ = _timed(lambda at: int(kesu.scheduler.digest(now=at)), NOW)
        report, _ = _timed(lambda at: int(kesu.scheduler.monthly_report(now=at) is not None), NOW)
        kesu.scheduler.tick(now=NOW + timedelta(seconds=99))  # delivers what the passes above queued
        ticks = [_timed(tick(kesu), NOW + timedelta(seconds=100 + i))[0] for i in range(args.passes)]
        counts = [_count_due(kesu, NOW) for _ in range(5)]
        kesu.close()
    steady = statistics.median(passes)
    floor = statistics.median(floor_passes)
    scan = statistics.median(scans)
    print(f"machine: {platform.machine()}, Python {platform.python_version()}, {args.db}")
    print(f"reminder pass (Scheduler.nag), {args.open} open forms:")
    print(f"  first pass            {first * 1000:9.1f} ms   looks at every form once, notes each ({queued} queued)")
    print(f"  pass, steady          {steady * 1000:9.1f} ms   median of {args.passes}, one second apart")
    print(f"                                     (a pass loads {loaded} forms; {more} messages queued by the last)")
    print(f"  full scan (before)    {scan * 1000:9.1f} ms   every open form loaded and computed ({found} clocks due)")
    print(f"  floor: empty db       {floor * 1000:9.1f} ms   the same pass with nothing open")
    print(f"  floor: count(*)       {statistics.median(counts[1:]) * 1000:9.1f} ms   indexed count of clocks past due")
    print(f"  ratio pass/floor {steady / floor:.1f}x; full scan/pass {scan / steady:.0f}x")
    print("whole scheduler pass (Scheduler.tick: inbox, reminders, reports, campaigns, digest, outbox):")
    print(f"  tick, steady          {statistics.median(ticks) * 1000:9.1f} ms   median of {args.passes}")
    print(f"  floor: empty db       {statistics.median(floor_ticks) * 1000:9.1f} ms")
    print(f"  digest (once a day)   {digest * 1000:9.1f} ms   loads every open form (claimed first)")
    print(f"  monthly report job    {report * 1000:9.1f} ms   once a month (see bench/report_scale.py at scale)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    ap.add_argument("--open", type=int, default=100_000, help="open forms")
    ap.add_argument("--due", type=int, default=300, help="of which have a reminder or escalation due")
    ap.add_argument("--passes", type=int, default=5, help="timed passes after the first")
    ap.add_argument("--scans", type=int, default=2, help="timed full scans (the pass before planning)")
    ap.add_argument("--pg-url", default=PG_ADMIN, help="PostgreSQL server (scratch databases are created on it)")
    run(ap.parse_args())


if __name__ == "__main__":
    main()
