"""`kesu campaign`: customer satisfaction campaigns."""

from __future__ import annotations

from typing import Annotated

import typer

from bot.cli.common import (
    Now,
    _kesu,
    _now,
    _print,
)

app = typer.Typer(help="Customer satisfaction campaigns (PROCEDURE §5).", no_args_is_help=True)


@app.command("start")
def campaign_start(
    percent: Annotated[
        int | None,
        typer.Option(min=1, max=100, help="Share of active customers to sample (default [campaigns] percent)."),
    ] = None,
    seed: Annotated[
        int | None, typer.Option(help="Random seed (default: from the start time); kept for auditors.")
    ] = None,
    now: Now = None,
) -> None:
    """Start a campaign now: sample the active customers and send each owner a survey card per customer."""
    from bot.scheduler.tick import start_campaign

    with _kesu(printing=True) as kesu:
        at = _now(kesu, now)
        with kesu.uow() as uow:
            campaign = start_campaign(
                uow,
                kesu.config.org,
                kesu.dispatcher.policy,
                kesu.dispatcher.channel_for,
                now=at,
                percent=percent,
                seed=seed,
            )
            uow.commit()
        closes = campaign.closes_at.astimezone(kesu.config.timezone)
        typer.echo(
            f"{campaign.label}:从 {campaign.population} 家活跃客户中抽取 {len(campaign.surveys)} 家"
            f"({campaign.percent}%,种子 {campaign.seed}),截止 {closes:%Y-%m-%d}。"
        )
        for survey in campaign.surveys:
            typer.echo(f"  {survey.customer}({kesu.config.org.name_of(survey.owner)})")
        _print(kesu.outbox.drain(now=at))


@app.command("close")
def campaign_close(now: Now = None) -> None:
    """Close every open campaign now: results to management, items below target to QA."""
    from bot.scheduler.tick import close_campaign

    with _kesu(printing=True) as kesu:
        at = _now(kesu, now)
        with kesu.uow() as uow:
            closed = [
                close_campaign(uow, kesu.config.org, c, kesu.dispatcher.channel_for, now=at)
                for c in uow.campaigns.open()
            ]
            uow.commit()
        if not closed:
            typer.echo("没有进行中的满意度调查。")
        _print(kesu.outbox.drain(now=at))
