"""The monthly report (PROCEDURE §4) over 1,000,000 forms: bulk-load ~24 months of complaints, their clocks
and returns into a scratch database, then time ``storage.reports.monthly_summary`` for one month.

    .venv/bin/python bench/report_scale.py [--db sqlite|postgres] [--forms 1000000] [--months 24] [--runs 3]
                                            [--sqlite-file PATH] [--explain] [--drop-index NAME …]

The rows are what Kesu's writers store (``complaint``, ``complaint_clock``, ``record``), loaded with one
``executemany`` transaction (SQLite) or ``COPY`` (PostgreSQL), chronologically like a real factory's history:
most forms closed, their clocks met (some late), a few percent still open, 3 % with a return and 1 % with an
8D. The report is called as ``bot/wiring.py`` calls it (the read-only engine, the org's problem types, the
90-day repeat window). It prints the load time, the report's time (the first, cold run and the median of the
rest) with its slowest statements, and the floor: a bare ``count(*)`` of the month's submitted forms on the
same database — the least any monthly figure has to read. ``--explain`` prints each statement's query plan;
``--sqlite-file`` keeps the loaded SQLite file and reuses it on the next run (loading is the slow part);
``--drop-index ix_complaint_repeat`` (repeatable) times the report without an index of migration 0009, the
"before" figure (at 1M forms that takes hours: try ``--forms 100000``). Target: a few seconds at most at 1M.
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script: the repository's own packages

from bench._scratch import PG_ADMIN, Scratch, db_time, finish, load, scratch
from bot.config import demo_config
from core.problems import DEFAULT_PROBLEMS
from storage.db import make_engine
from storage.reports import month_bounds, monthly_summary
from storage.tables import ComplaintRow

TZ = ZoneInfo("Asia/Shanghai")
FIRST_MONTH = datetime(2024, 11, 1, tzinfo=TZ)  # 24 months: 2024-11 … 2026-10
OPEN = ("submitted", "assigned", "responded", "verified", "reported", "invalid")
DEPARTMENTS = ("rd", "prod", "wh", "purchasing", "qa")
DEFECTS = ("外壳划伤", "尺寸偏大", "无法开机", "包装破损", "标签错误", "交期延迟", "少发")
COMPLAINT_COLUMNS = (
    *("id", "number", "owner", "state", "version", "created_at", "submitted_at", "closed_at", "customer"),
    *("product", "severity", "department", "problem", "qa_owner", "round", "resolution", "last_action"),
    *("last_actor", "last_at", "data"),
)
CLOCK_COLUMNS = ("complaint_id", "name", "started_at", "due_at", "met_at")
RECORD_COLUMNS = ("id", "kind", "number", "state", "version", "created_at", "data")


def _month(i: int) -> datetime:
    return (FIRST_MONTH + timedelta(days=31 * i + 1)).replace(day=1)


def _iso(at: datetime | None) -> str | None:
    """A naive UTC time as the aware ISO text the JSON documents keep."""
    return f"{at.isoformat()}+00:00" if at else None


Rows = list[tuple[Any, ...]]


def generate(forms: int, months: int, *, seed: int = 7, chunk: int = 50_000) -> Iterator[tuple[Rows, Rows, Rows]]:
    """Complaint, clock and record rows, ``chunk`` forms at a time: ``forms`` forms spread evenly over ``months``
    months, in time order. Times are naive UTC (what the columns store); only the month of a number is local."""
    rnd = random.Random(seed)
    customers = [f"客户{k:03d}" for k in range(800)]
    customer_weights = list(accumulate(1 / (k + 1) for k in range(800)))  # a few big customers, a long tail
    products = [f"P-{k:03d}" for k in range(300)]
    product_weights = list(accumulate(1 / (k + 1) ** 0.7 for k in range(300)))
    problems = [p.id for p in DEFAULT_PROBLEMS]
    starts = [_month(i).astimezone(UTC).replace(tzinfo=None) for i in range(months + 1)]
    keys = [f"{_month(i):%Y%m}" for i in range(months)]
    end = starts[months]
    day = timedelta(days=1)
    complaints: Rows = []
    clocks: Rows = []
    records: Rows = []
    seq: dict[str, int] = {}
    record_id = 0
    for i in range(forms):
        if len(complaints) == chunk:
            yield complaints, clocks, records
            complaints, clocks, records = [], [], []
        m = i * months // forms
        submitted = starts[m] + (starts[m + 1] - starts[m]) * (((i * months) % forms) / forms)
        created = submitted - timedelta(seconds=rnd.randint(30, 900))
        urgent = rnd.random() < 0.15
        is_open = rnd.random() < (0.6 if (end - submitted).days < 20 else 0.03)
        state = rnd.choice(OPEN) if is_open else "closed"
        closed_at = None if is_open else min(submitted + day * rnd.uniform(1, 20), end - timedelta(hours=1))
        key = keys[m]
        seq[key] = seq.get(key, 0) + 1
        number = f"KS-{key}-{seq[key]:04d}"
        customer = rnd.choices(customers, cum_weights=customer_weights)[0]
        product = rnd.choices(products, cum_weights=product_weights)[0]
        problem = rnd.choice(problems)
        department = None if state in ("submitted", "invalid") else rnd.choice(DEPARTMENTS)
        quantity = rnd.choice((5, 20, 50, 100, 200, 500, 1000))
        complaint_id = i + 1
        running: list[tuple[str, datetime, datetime | None]] = []
        first_met = None if is_open and rnd.random() < 0.5 else created + day * rnd.uniform(0.2, 4)
        running.append(("first_response", created + 3 * day, first_met))
        handling = "urgent" if urgent else "normal"
        handling_met = None if is_open else created + day * rnd.uniform(0.5, 9)
        running.append((handling, created + (2 if urgent else 7) * day, handling_met))
        if rnd.random() < 0.1:
            report_met = None if is_open else created + day * rnd.uniform(3, 15)
            running.append(("improvement_report", created + 12 * day, report_met))
        created_text = db_time(created)
        for name, due, met in running:
            clocks.append((complaint_id, name, created_text, db_time(due), db_time(met)))
        data = {
            "defect": rnd.choice(DEFECTS),
            "quantity": quantity,
            "order_no": None,
            "contact": None,
            "received_via": None,
            "response": None,
            "qa_comment": None,
            "invalid_reason": None,
            "customer_note": None,
            "asking": None,
            "clocks": [{"name": n, "due_at": _iso(d), "met_at": _iso(m)} for n, d, m in running],
            "repeat_of": [],
        }
        owner = f"sales{1 + i % 2}"
        complaints.append(
            (
                complaint_id,
                number,
                owner,
                state,
                3,
                created_text,
                db_time(submitted),
                db_time(closed_at),
                customer,
                product,
                "urgent" if urgent else "normal",
                department,
                problem,
                "qa1",
                1,
                None if is_open else "resolved",
                "confirm",
                owner,
                db_time(closed_at or submitted),
                data,
            )
        )
        if rnd.random() < 0.03:
            record_id += 1
            anomalies = sorted(rnd.sample("ABCDEFG", rnd.choice((0, 0, 1, 2))))
            records.append(
                (
                    record_id,
                    "return",
                    f"RMA-{key}-{record_id:05d}",
                    "closed",
                    4,
                    db_time(submitted + day),
                    {"quantity": quantity, "anomalies": anomalies, "complaint_id": complaint_id},
                )
            )
        if rnd.random() < 0.01:
            record_id += 1
            records.append(
                (record_id, "8d", None, "open" if is_open else "closed", 2, db_time(submitted), {"complaint": number})
            )
    yield complaints, clocks, records


def _count_rows(db: Scratch) -> int:
    with db.engine.connect() as conn:
        return int(conn.exec_driver_sql("SELECT count(*) FROM complaint").scalar_one())


class Profile:
    """Every statement a block runs, with its time (SQLAlchemy cursor events)."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.statements: list[tuple[str, Any, float]] = []
        self._started = 0.0
        self.on = False
        sa.event.listen(engine, "before_cursor_execute", self._before)
        sa.event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, *args: Any) -> None:
        self._started = time.perf_counter()

    def _after(self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        if self.on:
            self.statements.append((statement, parameters, time.perf_counter() - self._started))


def _label(statement: str) -> str:
    flat = " ".join(statement.split())
    return flat[:110] + ("…" if len(flat) > 110 else "")


def explain(db: Scratch, statements: list[tuple[str, Any, float]]) -> None:
    """Each captured statement's query plan."""
    prefix = "EXPLAIN QUERY PLAN " if db.kind == "sqlite" else "EXPLAIN "
    raw = db.engine.raw_connection()
    try:
        cur = raw.cursor()
        for statement, params, _ in statements:
            if statement.lstrip().upper().startswith(("BEGIN", "SET", "SHOW")):
                continue
            print(f"\n-- {_label(statement)}")
            cur.execute(prefix + statement, params)
            for row in cur.fetchall():
                print("   ", " | ".join(str(x) for x in row))
        cur.close()
    finally:
        raw.close()


def _floor(engine: sa.Engine, month: str) -> float:
    m = month_bounds(month, TZ)
    started = time.perf_counter()
    with engine.connect() as conn:
        conn.execute(
            sa.text(
                "SELECT count(*) FROM complaint WHERE submitted_at >= :start AND submitted_at < :end "
                "AND state != 'cancelled'"
            ),
            {"start": m.start.replace(tzinfo=None), "end": m.end.replace(tzinfo=None)},
        ).scalar_one()
    return time.perf_counter() - started


def run(db: Scratch, args: argparse.Namespace) -> None:
    existing = _count_rows(db)
    if existing:
        print(f"reusing {existing} forms in {db.path}")
    else:
        started = time.perf_counter()
        generating = 0.0
        n = n_clocks = n_records = 0
        chunks = generate(args.forms, args.months)
        while True:
            t = time.perf_counter()
            chunk = next(chunks, None)
            generating += time.perf_counter() - t
            if chunk is None:
                break
            complaints, clocks, records = chunk
            n += load(db, "complaint", COMPLAINT_COLUMNS, complaints)
            n_clocks += load(db, "complaint_clock", CLOCK_COLUMNS, clocks)
            n_records += load(db, "record", RECORD_COLUMNS, records)
        t = time.perf_counter()
        finish(db, ["complaint", "complaint_clock", "record"])
        finishing = time.perf_counter() - t
        total = time.perf_counter() - started
        print(
            f"loaded {n} forms, {n_clocks} clocks, {n_records} records in {total:.1f} s: "
            f"generating {generating:.1f} s, inserting {total - generating - finishing:.1f} s, "
            f"statistics {finishing:.1f} s ({(n + n_clocks + n_records) / total:,.0f} rows/s)"
        )
    config = demo_config()
    org = config.org
    month = args.month or f"{_month(args.months - 1):%Y-%m}"
    dropped = [i for i in ComplaintRow.__table__.indexes if i.name in args.drop_index]  # type: ignore[attr-defined]
    for index in dropped:  # "before": the report without these indexes (put back at the end)
        index.drop(db.engine)
        print(f"without index {index.name}")
    reader = make_engine(db.url, reader=True)
    profile = Profile(reader)
    times: list[float] = []
    forms_in_month = 0
    for i in range(args.runs + 1):
        profile.on = i == args.runs  # the statements of the last run
        started = time.perf_counter()
        summary = monthly_summary(reader, month=month, tz=TZ, org=org, problems=org.problem_types, repeat_days=90)
        times.append(time.perf_counter() - started)
        forms_in_month = summary.complaints
    floors = [_floor(reader, month) for _ in range(args.runs + 1)]
    warm = statistics.median(times[1:])
    floor = statistics.median(floors[1:])
    print(f"machine: {platform.machine()}, Python {platform.python_version()}, {db.kind}")
    print(f"monthly_summary {month}: {forms_in_month} forms in the month, {len(summary.register)} register rows")
    print(f"report  cold {times[0] * 1000:9.1f} ms   warm median {warm * 1000:9.1f} ms  (runs: {args.runs})")
    print(f"floor   cold {floors[0] * 1000:9.1f} ms   warm median {floor * 1000:9.1f} ms  (count(*) of the month)")
    print(f"ratio report/floor (warm median): {warm / floor:.0f}x")
    print("slowest statements of the last run:")
    for statement, _, took in sorted(profile.statements, key=lambda s: -s[2])[:6]:
        print(f"  {took * 1000:8.1f} ms  {_label(statement)}")
    if args.explain:
        explain(db, profile.statements)
    print(f"target a few seconds at most: {'met' if warm < 3 else 'NOT met'} ({warm:.2f} s)")
    reader.dispose()
    for index in dropped:
        index.create(db.engine)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    ap.add_argument("--forms", type=int, default=1_000_000, help="forms to load")
    ap.add_argument("--months", type=int, default=24, help="months they are spread over (from 2024-11)")
    ap.add_argument("--month", help="the month to report (default: the last loaded month)")
    ap.add_argument("--runs", type=int, default=3, help="warm runs after the first (cold) one")
    ap.add_argument("--explain", action="store_true", help="print the query plan of every statement")
    ap.add_argument(
        "--drop-index", action="append", default=[], metavar="NAME", help="time without this index of complaint"
    )
    ap.add_argument("--sqlite-file", type=Path, help="keep the loaded SQLite database here and reuse it next time")
    ap.add_argument("--pg-url", default=PG_ADMIN, help="PostgreSQL server (a scratch database is created on it)")
    args = ap.parse_args()
    if args.sqlite_file and args.db != "sqlite":
        sys.exit("--sqlite-file is for --db sqlite")
    with scratch(args.db, pg_admin=args.pg_url, sqlite_file=args.sqlite_file) as db:
        run(db, args)


if __name__ == "__main__":
    main()
