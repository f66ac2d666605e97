"""Talk to Kesu from the terminal: say, click, tick, parse, chat."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from bot.cards.complaint import inputs_for
from bot.cli.common import (
    AsUser,
    Now,
    _fail_config,
    _kesu,
    _now,
    _parse_now,
    _print,
    _settings,
)
from bot.config import ConfigError, load_config
from bot.context import Understood
from bot.local.parse import MAX_IMAGE_BYTES, click_event, image_type, say_event
from bot.local.render import to_json, to_text
from bot.wiring import Kesu


def say(
    as_: AsUser,
    text: Annotated[str | None, typer.Argument(help="The message, e.g. '明辉电子投诉X200外壳划伤,200个,急'.")] = None,
    chat: Annotated[str | None, typer.Option("--chat", help="Say it in this group chat (id).")] = None,
    image: Annotated[
        Path | None, typer.Option("--image", help="Send a photo (JPEG, PNG, GIF, BMP, WebP, HEIC; up to 10 MB).")
    ] = None,
    now: Now = None,
) -> None:
    """Send a message (or a photo) as a person; print every message delivered as a result, one JSON per line."""
    if (text is None) == (image is None):
        typer.echo("请给出消息文字或 --image 图片(二选一)。", err=True)
        raise typer.Exit(2)
    data = b""
    content_type: str | None = None
    if image is not None:
        try:
            data = image.read_bytes()
        except OSError as e:
            typer.echo(f"无法读取图片 {image}: {e.strerror}", err=True)
            raise typer.Exit(2) from None
        content_type = image_type(data)
        if content_type is None or len(data) > MAX_IMAGE_BYTES:
            typer.echo(f"{image} 不是支持的图片(JPEG/PNG/GIF/BMP/WebP/HEIC,10 MB 以内)。", err=True)
            raise typer.Exit(2)
    with _kesu(printing=True) as kesu:
        at = _now(kesu, now)
        media_id = kesu.store_media(data, content_type=content_type, now=at) if content_type else None
        event = say_event(user=as_, text=text, now=at, chat=chat, image=media_id)
        kesu.run_local(event, now=at)  # printed as sent (_emit)


def click(
    card_id: Annotated[str, typer.Argument(help="The card's id, as printed in its JSON (e.g. f1v2).")],
    action_id: Annotated[str, typer.Argument(help="The action's id on the card (e.g. confirm, valid).")],
    as_: AsUser,
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="Fill a card input: NAME=VALUE (repeatable), e.g. --set department=研发部."),
    ] = None,
    now: Now = None,
) -> None:
    """Tap a card button as a person; print every message delivered as a result."""
    values: dict[str, str] = {}
    for item in set_ or []:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            typer.echo(f"--set 需要 NAME=VALUE 格式,收到 {item!r}", err=True)
            raise typer.Exit(2)
        values[name.strip()] = value
    with _kesu(printing=True) as kesu:
        at = _now(kesu, now)
        event = click_event(user=as_, card_id=card_id, action=action_id, values=values, now=at)
        kesu.run_local(event, now=at)  # printed as sent (_emit)


def tick(now: Now = None) -> None:
    """Run whatever is due at that time (pending events, reminders and escalations, the daily digest, undelivered
    messages) and print what was delivered; a job that failed is named on stderr (exit code 1), the others ran."""
    with _kesu(printing=True) as kesu:
        done = kesu.scheduler.run(now=_now(kesu, now))
        _print(done.delivered)
    for job, error in done.failed.items():
        typer.echo(f"定时任务 {job} 失败:{error}(其他任务已照常运行,详见日志)", err=True)
    if done.failed:
        raise typer.Exit(1)


def _interactive(kesu: Kesu, user: str, *, intro: str | None = None) -> None:
    """A terminal chat: type text; a number taps that action of the last card; /as switches person."""
    if intro:
        typer.echo(intro)
    last_cards: dict[str, dict[str, Any]] = {}  # the newest actionable card each person received
    while True:
        try:
            line = input(f"{user}> ").strip()
        except (EOFError, KeyboardInterrupt):
            typer.echo("")
            return
        if not line:
            continue
        if line in ("/q", "/quit", "/exit"):
            return
        if line.startswith("/as"):
            who = line[3:].strip()
            if kesu.config.org.person(who) is None:
                typer.echo("没有这个人。可选:" + " ".join(p.id for p in kesu.config.org.people))
            else:
                user = who
                if user in last_cards:
                    typer.echo(to_text({"card": last_cards[user]}))
            continue
        at = kesu.now()
        last_card = last_cards.get(user)
        # ASCII and short: "²".isdigit() is True but int("²") raises, and int() refuses 5000 digits
        if (
            line.isascii()
            and line.isdigit()
            and len(line) <= 3
            and last_card
            and 1 <= int(line) <= len(last_card["actions"])
        ):
            action = last_card["actions"][int(line) - 1]
            values = {}
            for field in inputs_for(action["id"], last_card["inputs"]):
                value = input(f"  {field['label']}{'*' if field['required'] else ''} (回车跳过): ").strip()
                if value:
                    values[field["name"]] = value
            event = click_event(user=user, card_id=last_card["id"], action=action["id"], values=values, now=at)
        else:
            event = say_event(user=user, text=line, now=at)
        for d in kesu.run_local(event, now=at):
            msg = to_json(d)
            who = next(iter(msg["to"].values()))
            mine = msg["to"] == {"user": user}
            typer.echo(("" if mine else f"→ 发给 {who}:\n") + to_text(msg))
            if "user" in msg["to"] and msg.get("card") and msg["card"]["actions"]:
                last_cards[msg["to"]["user"]] = msg["card"]


def parse(
    text: Annotated[str | None, typer.Argument(help="The message to understand.")] = None,
    now: Now = None,
    json_: Annotated[bool, typer.Option("--json", help="One compact JSON line (default: indented JSON).")] = False,
    jsonl: Annotated[
        bool, typer.Option("--jsonl", help="Read one message per line on stdin; print one JSON object per line.")
    ] = False,
    eval_: Annotated[
        Path | None,
        typer.Option(
            "--eval", help="Score a labelled JSONL file (text, intent, slots[, now]); print figures and misses."
        ),
    ] = None,
) -> None:
    """Show what Kesu understands in a message: {"intent": ..., "slots": {...}} (absent fields omitted)."""
    from bot.intents.evaluate import evaluate, load, render
    from bot.intents.understand import Parser

    try:
        cfg = load_config(_settings().config)
    except ConfigError as e:
        _fail_config(e)
    parser = Parser(cfg.org)
    at = _parse_now(now, cfg.timezone)
    if eval_ is not None:
        try:
            examples = load(eval_)
        except (OSError, ValueError) as e:
            typer.echo(f"无法读取 {eval_}: {e}", err=True)
            raise typer.Exit(2) from None
        for line in render(evaluate(examples, parser)):
            typer.echo(line)
        return
    if jsonl:
        for line in sys.stdin:
            u = parser(line.rstrip("\n"), at)
            typer.echo(json.dumps(_understood(u), ensure_ascii=False))
        return
    if text is None:
        typer.echo("请给出要解析的消息,或使用 --jsonl / --eval。", err=True)
        raise typer.Exit(2)
    u = parser(text, at)
    typer.echo(json.dumps(_understood(u), ensure_ascii=False, indent=None if json_ else 2))


def _understood(u: Understood) -> dict[str, Any]:
    """What `kesu parse` prints: intent and fields, and the fields written but refused (``invalid``) if any."""
    shown: dict[str, Any] = {"intent": u.intent, "slots": u.slots}
    return shown | ({"invalid": u.invalid} if u.invalid else {})


def chat_(as_: AsUser) -> None:
    """Chat with Kesu in the terminal as a person. Cards show numbered actions: type the number to tap one."""
    with _kesu() as kesu:
        _interactive(kesu, as_, intro="输入消息;数字=点卡片上的按钮;/as 人员id 切换身份;/q 退出。")
