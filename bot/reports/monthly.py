"""The monthly report of PROCEDURE §4 rendered from ``core.report.MonthlySummary``: pure functions, no I/O.

``text`` for a phone chat, ``pareto_png`` for the problem-type Pareto chart, ``workbook_xlsx`` for the Excel
workbook (汇总 + 登记表).
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import fields, is_dataclass, replace
from datetime import datetime
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any

from bot.safe_text import starts_formula
from core.report import Count, MonthlySummary

log = logging.getLogger(__name__)

# CJK families in order of preference, and the font file names that hold them (when the matplotlib font
# cache predates the font's installation).
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans CJK",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "Source Han Sans",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Noto Serif CJK SC",
)
CJK_FILE_HINTS = ("notosanscjk", "notoserifcjk", "sourcehan", "wqy")

DATETIME_FORMAT = "yyyy-mm-dd hh:mm"


# ---------------------------------------------------------------- text


def _change(now: int, before: int) -> str:
    diff = now - before
    if diff > 0:
        return f"+{diff}"
    if diff < 0:
        return f"−{-diff}"
    return "持平"


def _percent(rate: float | None) -> str:
    if rate is None:
        return "—"
    return f"{rate * 100:.1f}".rstrip("0").rstrip(".") + "%"


def _counts(items: Iterable[Count], limit: int | None = None) -> str:
    shown = [c for c in items if c.count][:limit]
    return "、".join(f"{c.label} {c.count}" for c in shown) or "无"


def text(summary: MonthlySummary) -> str:
    """The month's report as short Chinese markdown for a phone chat."""
    s = summary
    lines = [
        f"**📊 {s.month} 客诉月报**",
        f"客诉：{s.complaints} 件（较上月 {_change(s.complaints, s.previous_complaints)}）",
        f"处理及时率：{_percent(s.timely_rate)}"
        + (f"（{s.handled_in_time}/{s.handling_due}）" if s.handling_due else ""),
        f"首次答复及时率：{_percent(s.first_response_rate)}"
        + (f"（{s.first_response_in_time}/{s.first_response_due}）" if s.first_response_due else ""),
        f"问题前三：{_counts(pareto_counts(s), 3)}",
        f"重复发生：{s.repeats} 件；8D 未结：{s.open_8d} 件",
        f"逾期未结：{s.overdue_open} 件",
        f"退货：{s.returns} 次（较上月 {_change(s.returns, s.previous_returns)}），共 {s.returned_quantity} 件",
    ]
    if any(c.count for c in s.rma_anomalies):
        lines.append(f"收货异常：{_counts(s.rma_anomalies)}")
    return "\n".join(lines)


# ---------------------------------------------------------------- Pareto chart


def pareto_counts(summary: MonthlySummary) -> list[Count]:
    """The problem types seen this month, largest first (ties keep their order)."""
    return sorted((c for c in summary.by_problem if c.count > 0), key=lambda c: -c.count)


def pareto_points(summary: MonthlySummary) -> list[tuple[str, int, float]]:
    """(label, count, cumulative %) per problem type, largest first; the last percentage is 100.0."""
    counts = pareto_counts(summary)
    total = sum(c.count for c in counts)
    points: list[tuple[str, int, float]] = []
    running = 0
    for c in counts:
        running += c.count
        points.append((c.label, c.count, running * 100 / total))
    return points


@cache
def cjk_font() -> str | None:
    """The family name of an installed CJK font, or None (warned once) when there is none."""
    from matplotlib import font_manager

    def installed() -> str | None:
        names = {f.name for f in font_manager.fontManager.ttflist}
        return next((family for family in CJK_FAMILIES if family in names), None)

    found = installed()
    if found is None:
        # The font cache may predate the font: add the CJK files it has not seen.
        for path in font_manager.findSystemFonts():
            if any(hint in Path(path).name.lower() for hint in CJK_FILE_HINTS):
                try:
                    font_manager.fontManager.addfont(path)
                except (OSError, RuntimeError, ValueError):
                    log.debug("cannot load font %s", path, exc_info=True)
        found = installed()
    if found is None:
        log.warning("no CJK font installed (e.g. apt-get install fonts-noto-cjk): Chinese in charts will not render")
    return found


def pareto_png(summary: MonthlySummary) -> bytes:
    """The Pareto chart of the month's problem types as PNG bytes (Agg, no global pyplot state)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties
    from matplotlib.ticker import MaxNLocator, PercentFormatter

    family = cjk_font()
    font = FontProperties(family=[family, "DejaVu Sans"] if family else ["DejaVu Sans"])
    title_font = font.copy()
    title_font.set_size(14)
    title = f"{summary.month} 客诉问题类型柏拉图"

    points = pareto_points(summary)
    fig = Figure(figsize=(10, 5.6), dpi=120, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.set_title(title, fontproperties=title_font)
    if not points:
        ax.set_axis_off()
        ax.text(0.5, 0.5, "本月无客诉", ha="center", va="center", fontproperties=title_font, transform=ax.transAxes)
    else:
        labels = [label.replace("$", r"\$") for label, _, _ in points]  # a label is text, never mathtext
        counts = [count for _, count, _ in points]
        cumulative = [pct for _, _, pct in points]
        xs = list(range(len(points)))
        bars = ax.bar(xs, counts, color="#4C72B0")
        ax.bar_label(bars, fontproperties=font)
        rotate = len(points) > 6
        ax.set_xticks(xs, labels, fontproperties=font, rotation=35 if rotate else 0, ha="right" if rotate else "center")
        ax.set_ylabel("件数", fontproperties=font)
        ax.set_ylim(0, max(counts) * 1.15)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))

        ax2 = ax.twinx()
        ax2.plot(xs, cumulative, color="#C44E52", marker="o")
        ax2.set_ylim(0, 105)
        ax2.set_yticks([0, 20, 40, 60, 80, 100])
        ax2.yaxis.set_major_formatter(PercentFormatter(100, decimals=0))
        ax2.axhline(80, color="#C44E52", linestyle=":", linewidth=1)
        ax2.set_ylabel("累计百分比", fontproperties=font)
        for x, pct in zip(xs, cumulative, strict=True):
            ax2.annotate(f"{pct:.0f}%", (x, pct), textcoords="offset points", xytext=(0, 6), ha="center", fontsize=8)
    out = BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()


# ---------------------------------------------------------------- Excel workbook


def _excel_time(at: datetime | None) -> datetime | None:
    """Excel has no time zones: the local wall time the value carries, naive."""
    return at.replace(tzinfo=None) if at else None


def _width(value: Any) -> int:
    if isinstance(value, datetime):
        return 16
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in str(value if value is not None else ""))


def _fit_columns(ws: Any, minimum: int = 6, maximum: int = 40) -> None:
    from openpyxl.utils import get_column_letter

    widths: dict[int, int] = {}
    for row in ws.iter_rows():
        for cell in row:
            widths[cell.column] = max(widths.get(cell.column, 0), _width(cell.value))
    for column, width in widths.items():
        ws.column_dimensions[get_column_letter(column)].width = min(max(width + 2, minimum), maximum)


def _bold_row(ws: Any, row: int) -> None:
    from openpyxl.styles import Font

    for cell in ws[row]:
        if cell.value is not None:
            cell.font = Font(bold=True)


def _summary_sheet(ws: Any, s: MonthlySummary) -> None:
    ws.title = "汇总"
    ws.append(["项目", f"本月（{s.month}）", f"上月（{s.previous_month}）"])
    rows: list[tuple[str, Any, Any]] = [
        ("客诉件数", s.complaints, s.previous_complaints),
        ("处理及时率", s.timely_rate if s.timely_rate is not None else "—", None),
        ("处理及时（件）", s.handled_in_time, None),
        ("处理到期（件）", s.handling_due, None),
        ("首次答复及时率", s.first_response_rate if s.first_response_rate is not None else "—", None),
        ("首次答复及时（件）", s.first_response_in_time, None),
        ("首次答复到期（件）", s.first_response_due, None),
        ("重复发生（件）", s.repeats, None),
        ("8D 未结（件）", s.open_8d, None),
        ("逾期未结（件）", s.overdue_open, None),
        ("退货（次）", s.returns, s.previous_returns),
        ("退货数量（件）", s.returned_quantity, None),
    ]
    for label, now, before in rows:
        ws.append([label, now, before])
        if isinstance(now, float):
            ws.cell(ws.max_row, 2).number_format = "0.0%"
    tables: Sequence[tuple[str, tuple[Count, ...], bool]] = (
        ("问题类型", s.by_problem, True),
        ("客户", s.by_customer, True),
        ("产品", s.by_product, True),
        ("责任部门", s.by_department, True),
        ("未结账龄", s.ageing, False),
        ("收货异常", s.rma_anomalies, False),
    )
    for title, counts, with_previous in tables:
        ws.append([])
        ws.append([title, "本月", "上月"] if with_previous else [title, "本月"])
        _bold_row(ws, ws.max_row)
        for c in counts:
            ws.append([c.label, c.count, c.previous] if with_previous else [c.label, c.count])
        if not counts:
            ws.append(["（无）"])
    _bold_row(ws, 1)
    ws.freeze_panes = "A2"
    _fit_columns(ws)


def register_clocks(summary: MonthlySummary) -> list[tuple[str, str]]:
    """(name, label) of every clock in the month's register, in order of first appearance."""
    seen: dict[str, str] = {}
    for row in summary.register:
        for clock in row.clocks:
            seen.setdefault(clock.name, clock.label)
    return list(seen.items())


def _register_sheet(ws: Any, s: MonthlySummary) -> None:
    clocks = register_clocks(s)
    header = ["编号", "客户", "产品", "问题类型", "责任部门", "等级", "状态", "数量", "接收时间", "关闭时间", "重复"]
    for _, label in clocks:
        header += [f"{label} 开始", f"{label} 截止", f"{label} 完成", f"{label} 超期"]
    ws.append(header)
    for r in s.register:
        values: list[Any] = [
            r.number,
            r.customer,
            r.product,
            r.problem,
            r.department,
            r.severity,
            r.state,
            r.quantity,
            _excel_time(r.received_at),
            _excel_time(r.closed_at),
            "是" if r.repeat else "否",
        ]
        by_name = {clock.name: clock for clock in r.clocks}
        for name, _ in clocks:
            clock = by_name.get(name)
            if clock is None:
                values += [None, None, None, None]
            else:
                values += [
                    _excel_time(clock.started_at),
                    _excel_time(clock.due_at),
                    _excel_time(clock.done_at),
                    "是" if clock.breached else "否",
                ]
        ws.append(values)
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, datetime):
                cell.number_format = DATETIME_FORMAT
    _bold_row(ws, 1)
    ws.freeze_panes = "B2"
    ws.auto_filter.ref = ws.dimensions
    _fit_columns(ws)


def _text_not_formula(ws: Any) -> None:
    """Cells that people typed (customer, product, department …) are data: openpyxl would write a text starting
    with ``=`` as a live formula, so every text that would start one is stored as text, with Excel's quote prefix
    (the cell shows exactly what was typed and stays text when edited). Numbers and dates are left alone."""
    for row in ws.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and starts_formula(cell.value):
                cell.data_type = "s"
                cell.quotePrefix = True


def _xml_text(value: Any) -> Any:
    """``value`` with the control characters a worksheet cannot hold taken out of every text in it (openpyxl
    refuses them, and one stored name must not stop the month's workbook)."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    if isinstance(value, tuple):
        return tuple(_xml_text(v) for v in value)
    if is_dataclass(value) and not isinstance(value, type):
        return replace(value, **{f.name: _xml_text(getattr(value, f.name)) for f in fields(value)})
    return value


def workbook_xlsx(summary: MonthlySummary) -> bytes:
    """The month's Excel workbook (sheets 汇总 and 登记表) as .xlsx bytes; no cell is a formula."""
    from openpyxl import Workbook

    summary = _xml_text(summary)
    wb = Workbook()
    _summary_sheet(wb.active, summary)
    _register_sheet(wb.create_sheet("登记表"), summary)
    for ws in wb.worksheets:
        _text_not_formula(ws)
    out = BytesIO()
    wb.save(out)
    return out.getvalue()
