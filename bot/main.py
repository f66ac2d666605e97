"""The `kesu` command line: the local channel (say, click, tick, chat, demo), serve, worker, config, db."""

from __future__ import annotations

import socket
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from bot.cli import campaign, chat, customers, report
from bot.cli.common import (
    _fail_config,
    _kesu,
    _now,
    _settings,
    _state,
)
from bot.config import ConfigError, calendar_warnings, check_config, load_config
from bot.feishu import cli as feishu_cli
from bot.web import create_app
from bot.wecom import cli as wecom_cli
from bot.wiring import Kesu

app = typer.Typer(
    name="kesu",
    help=(
        "Kesu 客诉助手: runs the customer-complaint procedure in chat.\n\n"
        "Environment: KESU_DATABASE_URL (default sqlite:///kesu.db in the working directory; "
        "postgresql://… for PostgreSQL), KESU_CONFIG (path of kesu.toml; without it the built-in demo org). "
        "WeCom is on when KESU_WECOM_CORP_ID, _AGENT_ID, _SECRET, _TOKEN and _AES_KEY are set (KESU_WECOM_API_BASE "
        "overrides the API address); Feishu when KESU_FEISHU_APP_ID and _APP_SECRET are set (with "
        "KESU_FEISHU_VERIFICATION_TOKEN, KESU_FEISHU_ENCRYPT_KEY, KESU_FEISHU_DOMAIN).\n\n"
        "`kesu customers export/import/reassign` are accountable: each is logged under --as PERSON "
        "(default: cli:<operating-system user>)."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
config_app = typer.Typer(help="Check the configuration (kesu.toml).", no_args_is_help=True)
db_app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)
app.add_typer(config_app, name="config")
app.add_typer(db_app, name="db")
app.add_typer(report.app, name="report")
app.add_typer(customers.app, name="customers")
app.add_typer(campaign.app, name="campaign")
app.add_typer(wecom_cli.app, name="wecom")
app.add_typer(feishu_cli.app, name="feishu")


@app.callback()
def main(
    config: Annotated[
        Path | None,
        typer.Option("--config", help="Path of kesu.toml (overrides KESU_CONFIG). Default: the built-in demo org."),
    ] = None,
) -> None:
    """Kesu 客诉助手."""
    _state["config"] = config


def _today(tz: ZoneInfo) -> date:
    return datetime.now(tz).date()


def _warn_calendar(kesu: Kesu) -> None:
    """At `serve` / `worker` start: a stderr line per year (this one, the next) whose make-up workdays are estimated."""
    for warning in calendar_warnings(kesu.config, today=_today(kesu.config.timezone)):
        typer.echo(f"警告: {warning}", err=True)


app.command()(chat.say)
app.command()(chat.click)
app.command()(chat.tick)
app.command()(chat.parse)
app.command(name="chat")(chat.chat_)


@app.command()
def demo(
    host: Annotated[
        str,
        typer.Option(
            help="Interface to listen on (anyone can act as anyone). Requests must address it by this name, "
            "127.0.0.1, localhost or [::1] (with 0.0.0.0: any IP address), and changes must come from the page."
        ),
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port (0: any free port).")] = 8765,
    now: Annotated[
        str | None,
        typer.Option("--now", help="Start the page's clock at this time (ISO 8601); default: now."),
    ] = None,
) -> None:
    """Try Kesu in the browser: a chat-app page over the local channel with the demo org (or --config's), where
    you pick who you are, type, tap cards, and move the clock forward to see reminders and the monthly report."""
    import uvicorn

    from bot.demo.app import create_demo_app

    with _kesu() as kesu:
        try:  # listening before the address is printed, so it can be opened at once (--port 0: any free port)
            sock = socket.create_server((host, port))
        except OSError as e:
            typer.echo(f"无法监听 {host}:{port}: {e.strerror}(换一个 --port?)", err=True)
            raise typer.Exit(2) from None
        # Requests must name this address (no DNS rebinding) and changes come from its own page only.
        app = create_demo_app(kesu, start=_now(kesu, now), listen=(host, sock.getsockname()[1]))
        typer.echo(f"Kesu 演示:数据库 {kesu.settings.database_url},组织 {kesu.config.source}")
        typer.echo(f"在浏览器打开 http://{host}:{sock.getsockname()[1]}/  (Ctrl+C 退出)")
        sys.stdout.flush()
        with sock:
            uvicorn.Server(uvicorn.Config(app, log_level="warning")).run(sockets=[sock])


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    no_worker: Annotated[
        bool, typer.Option("--no-worker", help="Web only: leave the scheduler and outbox to `kesu worker`.")
    ] = False,
    feishu_ws: Annotated[
        bool,
        typer.Option(
            "--feishu-ws",
            help="Receive Feishu events and card taps over Feishu's long connection (no public URL needed).",
        ),
    ] = False,
) -> None:
    """Run the web app (health at /healthz) with the outbox dispatcher and scheduler in one process."""
    import uvicorn

    with _kesu() as kesu:
        names = ", ".join(["local", *(p.name for p in kesu.platforms)])
        typer.echo(f"Kesu: database {kesu.engine.dialect.name}, config {kesu.config.source}; platforms on: {names}")
        _warn_calendar(kesu)
        if feishu_ws and not any(p.name == "feishu" for p in kesu.platforms):
            typer.echo("--feishu-ws 需要飞书设置:KESU_FEISHU_APP_ID 和 KESU_FEISHU_APP_SECRET。", err=True)
            raise typer.Exit(2)
        if feishu_ws:
            typer.echo("Feishu: long connection (events and card taps arrive over it)")
        app = create_app(kesu, worker=not no_worker, long_connections=("feishu",) if feishu_ws else ())
        uvicorn.run(app, host=host, port=port)


@app.command()
def worker(
    interval: Annotated[float, typer.Option(help="Seconds between scheduler passes.")] = 1.0,
) -> None:
    """Run only the scheduler and outbox dispatcher (for scale-out beside `kesu serve --no-worker`)."""
    from bot.web import Worker

    with _kesu() as kesu:
        _warn_calendar(kesu)
        w = Worker(kesu, interval=interval)
        try:
            w.run()
        except KeyboardInterrupt:
            w.stop()


@config_app.command("check")
def config_check() -> None:
    """Validate kesu.toml (or the demo org); print problems with their key paths, then warnings."""
    settings = _settings()
    try:
        cfg = load_config(settings.config)
    except ConfigError as e:
        _fail_config(e)
    for warning in check_config(cfg, today=_today(cfg.timezone)):
        typer.echo(f"警告: {warning}")
    org = cfg.org
    typer.echo(
        f"配置正确: {cfg.source} — {len(org.people)} 人, {len(org.departments)} 个部门, "
        f"{len(org.chats)} 个群, 时区 {cfg.timezone.key}"
    )


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply the Alembic migrations to KESU_DATABASE_URL (commands also do this on start)."""
    from storage.db import make_engine
    from storage.migrate import current, upgrade

    engine = make_engine(_settings().database_url)
    upgrade(engine)
    typer.echo(f"数据库已是最新版本: {current(engine)}")


def cli() -> None:
    """Console-script entry point."""
    app(sys.argv[1:])


if __name__ == "__main__":
    cli()
