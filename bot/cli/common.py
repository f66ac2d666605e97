"""Shared pieces of the command-line modules: the app per command, time and printing helpers."""

from __future__ import annotations

import getpass
import json
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from types import FrameType
from typing import Annotated, Any, NoReturn
from zoneinfo import ZoneInfo

import typer

from bot.config import ConfigError, Settings
from bot.local.render import to_json
from bot.wiring import Kesu, build
from core.messages import Delivery

_state: dict[str, Any] = {}

AsUser = Annotated[str, typer.Option("--as", help="Person id of the speaker, e.g. sales1, qa1, rd1.")]
Operator = Annotated[
    str | None,
    typer.Option(
        "--as",
        help="Person id of who does this, for the archive's access log and audit trail "
        "(default: cli:<operating-system user>).",
    ),
]
Now = Annotated[
    str | None,
    typer.Option("--now", help="Pretend it is this time (ISO 8601; no offset = the configured timezone)."),
]


def _settings() -> Settings:
    settings = Settings()
    if _state.get("config") is not None:
        settings = settings.model_copy(update={"config": _state["config"]})
    return settings


@contextmanager
def _kesu(*, printing: bool = False) -> Iterator[Kesu]:
    """The app for one command; ``printing``: each local-channel message is printed as it is sent."""
    try:
        kesu = build(_settings())
    except ConfigError as e:
        _fail_config(e)
    if printing:
        kesu.local.sink = _emit
    # `kill` (SIGTERM) ends a printing command as Ctrl+C does, with an exception: the outbox then releases what
    # was not printed to the next `kesu tick` at once (after SIGKILL, when its two-minute lease ends).
    catch = printing and threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminated) if catch else None
    try:
        yield kesu
    finally:
        if catch:
            signal.signal(signal.SIGTERM, previous)
        kesu.close()


def _terminated(signum: int, frame: FrameType | None) -> NoReturn:
    raise SystemExit(128 + signum)


def _fail_config(e: ConfigError) -> NoReturn:
    typer.echo("配置有误 (configuration error):", err=True)
    for problem in e.problems:
        typer.echo(f"  {problem}", err=True)
    raise typer.Exit(2)


def _now(kesu: Kesu, value: str | None) -> datetime:
    return _parse_now(value, kesu.config.timezone)


def _parse_now(value: str | None, tz: ZoneInfo) -> datetime:
    if value is None:
        return datetime.now(tz)
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        typer.echo(f"--now 不是 ISO 时间: {value!r} (例如 2026-11-23T09:30)", err=True)
        raise typer.Exit(2) from None
    return at if at.tzinfo else at.replace(tzinfo=tz)


def _operator(kesu: Kesu, as_: str | None, *, nothing_done: str) -> str:
    """Who a `kesu customers` command runs as: the --as person (who must exist), else cli:<OS user>."""
    if as_ is None:
        try:
            user = getpass.getuser()
        except (OSError, KeyError):  # no login name and no passwd entry (e.g. a bare container uid)
            user = "?"
        return f"cli:{user}"[:64]
    if kesu.config.org.person(as_) is None:
        typer.echo(f"--as:没有人员“{as_}”,{nothing_done}", err=True)
        raise typer.Exit(1)
    return as_


def _emit(delivery: Delivery) -> None:
    """Print one message as a JSON line and flush it: the local channel marks it sent only after this returns,
    so a command killed mid-way leaves what it did not print to the next `kesu tick`."""
    typer.echo(json.dumps(to_json(delivery), ensure_ascii=False))
    sys.stdout.flush()


def _print(delivered: list[Delivery]) -> None:
    """Print what other channels (WeCom, Feishu) delivered; the local channel's messages were printed as sent."""
    for d in delivered:
        if d.channel != "local":
            _emit(d)
