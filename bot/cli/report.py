"""`kesu report`: management reports."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.cli.common import (
    Now,
    _kesu,
    _now,
)

app = typer.Typer(help="Management reports (PROCEDURE §4).", no_args_is_help=True)


@app.command("monthly")
def report_monthly(
    month: Annotated[
        str | None,
        typer.Option("--month", help="YYYY-MM (default: the previous calendar month in the configured timezone)."),
    ] = None,
    xlsx: Annotated[
        Path | None, typer.Option("--xlsx", help="Also write the Excel workbook (汇总 + 登记表) to this file.")
    ] = None,
    png: Annotated[Path | None, typer.Option("--png", help="Also write the problem-type Pareto chart (PNG).")] = None,
    now: Now = None,
) -> None:
    """Print the monthly complaint report (counts, timely-handling rate, repeats, overdue, returns); optionally
    write the Excel workbook and the Pareto chart."""
    from bot.reports import monthly
    from storage.reports import month_bounds, monthly_summary, previous_month

    with _kesu() as kesu:
        tz = kesu.config.timezone
        chosen = month or previous_month(_now(kesu, now))
        try:
            month_bounds(chosen, tz)
        except ValueError:
            typer.echo(f"--month 应为 YYYY-MM 格式(例如 2026-11),收到 {chosen!r}", err=True)
            raise typer.Exit(2) from None
        org = kesu.config.org
        summary = monthly_summary(kesu.engine, month=chosen, tz=tz, org=org, problems=org.problem_types)
        typer.echo(monthly.text(summary))
        outputs = [(xlsx, "Excel 工作簿", monthly.workbook_xlsx), (png, "柏拉图", monthly.pareto_png)]
        for path, what, render in outputs:
            if path is None:
                continue
            try:
                path.write_bytes(render(summary))
            except OSError as e:
                typer.echo(f"无法写入 {path}: {e.strerror}", err=True)
                raise typer.Exit(2) from None
            typer.echo(f"{what}已写入:{path}")
