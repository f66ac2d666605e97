"""The monthly statistics of PROCEDURE §4, as plain data: computed by storage (SQL aggregates), rendered by
``bot/reports`` (chat text, Pareto chart PNG, Excel workbook)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Count:
    """One line of a breakdown: ``label`` (Chinese, shown) counted ``count`` times this month and
    ``previous`` times the month before."""

    key: str
    label: str
    count: int
    previous: int = 0


@dataclass(frozen=True)
class ClockRow:
    """One clock of one form, for the register: when it started, was due, was met; breached when it was met
    after its due time, or is still unmet past it at the end of the month."""

    name: str
    label: str
    started_at: datetime | None
    due_at: datetime
    done_at: datetime | None
    breached: bool


@dataclass(frozen=True)
class RegisterRow:
    """One form of the month's register (a row of the Excel sheet)."""

    number: str
    customer: str
    product: str
    problem: str  # the defect category's label (未分类 when QA has not assigned one)
    department: str  # the responsible department's name, or ""
    severity: str  # 急件 / 普通件
    state: str  # the state's Chinese label
    quantity: int | None
    received_at: datetime
    closed_at: datetime | None
    repeat: bool
    clocks: tuple[ClockRow, ...]


@dataclass(frozen=True)
class MonthlySummary:
    """Everything the monthly report shows for ``month`` (``YYYY-MM``), with the previous month's figures."""

    month: str
    previous_month: str
    complaints: int
    previous_complaints: int
    by_problem: tuple[Count, ...]  # the Pareto: largest first
    by_customer: tuple[Count, ...]
    by_product: tuple[Count, ...]
    by_department: tuple[Count, ...]
    handled_in_time: int  # forms whose handling clock fell due this month and was met in time
    handling_due: int  # forms whose handling clock fell due this month
    first_response_in_time: int
    first_response_due: int
    repeats: int
    open_8d: int
    overdue_open: int  # open forms with a clock past due at the end of the month
    ageing: tuple[Count, ...]  # open forms by age at the end of the month: ≤7天, 8–30天, >30天
    returns: int
    previous_returns: int
    returned_quantity: int
    rma_anomalies: tuple[Count, ...]  # receiving anomalies (A)–(G) by letter
    register: tuple[RegisterRow, ...]

    @staticmethod
    def rate(part: int, whole: int) -> float | None:
        """``part / whole``, or None when nothing was due."""
        return part / whole if whole else None

    @property
    def timely_rate(self) -> float | None:
        """顾客抱怨信息处理及时率: handled within the clock / all due in the month."""
        return self.rate(self.handled_in_time, self.handling_due)

    @property
    def first_response_rate(self) -> float | None:
        """First response to the customer within its clock (3 days by default) / all due in the month."""
        return self.rate(self.first_response_in_time, self.first_response_due)
