"""The `kesu` command line: the local channel (say, click, tick, chat, demo), serve, worker, config, db."""

from __future__ import annotations

import getpass
import json
import signal
import socket
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from types import FrameType
from typing import Annotated, Any, NoReturn
from zoneinfo import ZoneInfo

import typer

from bot.cards.complaint import inputs_for
from bot.config import ConfigError, Settings, calendar_warnings, check_config, load_config
from bot.context import Understood
from bot.feishu import cli as feishu_cli
from bot.local.parse import MAX_IMAGE_BYTES, click_event, image_type, say_event
from bot.local.render import to_json, to_text
from bot.wecom import cli as wecom_cli
from bot.wiring import Kesu, build, create_app
from core.messages import Delivery

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
report_app = typer.Typer(help="Management reports (PROCEDURE §4).", no_args_is_help=True)
app.add_typer(config_app, name="config")
app.add_typer(db_app, name="db")
app.add_typer(report_app, name="report")
customers_app = typer.Typer(
    help="The confidential customer archive (PROCEDURE §6): import, export, hand customers over. Each command is "
    "recorded in the archive's access log and audit trail under --as PERSON (default: cli:<operating-system user>).",
    no_args_is_help=True,
)
app.add_typer(customers_app, name="customers")
campaign_app = typer.Typer(help="Customer satisfaction campaigns (PROCEDURE §5).", no_args_is_help=True)
app.add_typer(campaign_app, name="campaign")
app.add_typer(wecom_cli.app, name="wecom")
app.add_typer(feishu_cli.app, name="feishu")

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


@app.callback()
def main(
    config: Annotated[
        Path | None,
        typer.Option("--config", help="Path of kesu.toml (overrides KESU_CONFIG). Default: the built-in demo org."),
    ] = None,
) -> None:
    """Kesu 客诉助手."""
    _state["config"] = config


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


def _today(tz: ZoneInfo) -> date:
    return datetime.now(tz).date()


def _warn_calendar(kesu: Kesu) -> None:
    """At `serve` / `worker` start: a stderr line per year (this one, the next) whose make-up workdays are estimated."""
    for warning in calendar_warnings(kesu.config, today=_today(kesu.config.timezone)):
        typer.echo(f"警告: {warning}", err=True)


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


@app.command()
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


@app.command()
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


@app.command()
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


@app.command()
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


@app.command(name="chat")
def chat_(as_: AsUser) -> None:
    """Chat with Kesu in the terminal as a person. Cards show numbered actions: type the number to tap one."""
    with _kesu() as kesu:
        _interactive(kesu, as_, intro="输入消息;数字=点卡片上的按钮;/as 人员id 切换身份;/q 退出。")


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
    from bot.wiring import Worker

    with _kesu() as kesu:
        _warn_calendar(kesu)
        w = Worker(kesu, interval=interval)
        try:
            w.run()
        except KeyboardInterrupt:
            w.stop()


@campaign_app.command("start")
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


@campaign_app.command("close")
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


@report_app.command("monthly")
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


@customers_app.command("import")
def customers_import(
    file: Annotated[
        Path,
        typer.Argument(
            help="CSV (UTF-8, header row) or XLSX (first sheet) with columns 名称, 别名, 负责业务员, 重点客户, "
            "法定名称, 税号, 地址, 联系人, 电话, 邮箱, 职务, 信用 (or name, aliases, owner, key, legal_name, tax_id, "
            "address, contact, phone, email, title, credit_note)."
        ),
    ],
    as_: Operator = None,
    now: Now = None,
) -> None:
    """Check every row, then add or update (by name) all customers in one transaction; if any row is bad,
    import nothing and list the bad rows (exit code 1). Each change is in the audit trail under --as."""
    from bot.customer_file import FileProblem, read_rows
    from core import archive

    with _kesu() as kesu:
        at = _now(kesu, now)
        actor = _operator(kesu, as_, nothing_done="没有导入任何客户。")
        try:
            rows = read_rows(file)
        except FileProblem as e:
            typer.echo(f"导入失败,没有导入任何客户:{e}", err=True)
            raise typer.Exit(1) from None
        records, report = archive.check_rows(rows, org=kesu.config.org, now=at, limits=kesu.config.limits)
        if report:
            typer.echo(f"导入失败,没有导入任何客户。{len(report)} 行有问题,请修改后重新导入:")
            for line in report:
                typer.echo(f"  {line}")
            raise typer.Exit(1)
        with kesu.uow() as uow:
            added, updated = archive.import_records(uow, records, actor=actor, now=at)
            uow.commit()
        typer.echo(f"导入完成:新增 {added} 个客户,更新 {updated} 个客户。")


@customers_app.command("export")
def customers_export(
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write the CSV to this file (UTF-8 with BOM, for Excel); default: stdout."),
    ] = None,
    as_: Operator = None,
    now: Now = None,
) -> None:
    """Export the whole archive as CSV, in the import's columns (contacts included: keep the file safe). Each
    customer's access log and the audit trail record the export: who (--as), when, how many, to which file."""
    from bot.customer_file import to_csv
    from core import archive

    with _kesu() as kesu:
        actor = _operator(kesu, as_, nothing_done="未导出任何客户。")
        with kesu.uow() as uow:  # logged before the file is written: an access is never unaccounted for
            records = archive.export(uow, actor=actor, to=str(out) if out else "-", now=_now(kesu, now))
            uow.commit()
    content = to_csv(records)
    if out is None:
        typer.echo(content, nl=False)
        return
    try:
        out.write_text(content, encoding="utf-8-sig")
    except OSError as e:
        typer.echo(f"无法写入 {out}: {e.strerror}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"已导出 {len(records)} 个客户:{out}", err=True)


@customers_app.command("reassign")
def customers_reassign(
    from_: Annotated[str, typer.Option("--from", help="Person id of the salesperson handing over (e.g. one leaving).")],
    to: Annotated[
        str,
        typer.Option("--to", help="Person id of the successor (role sales or cs_manager) who keeps the customers."),
    ],
    as_: Operator = None,
    now: Now = None,
) -> None:
    """Hand every customer kept by --from to --to in one transaction, and queue a message telling --to which
    customers are now theirs (sent by the outbox dispatcher: `kesu serve`, `kesu worker` or `kesu tick`).
    Refused (exit code 1, nothing changed) unless --to is in sales or the customer-service manager."""
    import hashlib

    from bot.protocol import message_payload
    from core import archive
    from core.errors import DomainError
    from core.messages import OutboundMessage, Recipient

    with _kesu() as kesu:
        at = _now(kesu, now)
        org = kesu.config.org
        actor = _operator(kesu, as_, nothing_done="未做任何更改。")
        with kesu.uow() as uow:
            try:
                moved = archive.reassign(uow, org=org, from_=from_, to=to, actor=actor, now=at)
            except DomainError as e:
                typer.echo(e.message, err=True)
                raise typer.Exit(1) from None
            if not moved:
                typer.echo(f"{org.name_of(from_)}({from_})名下没有客户,未做任何更改。")
                return
            names = "、".join(c.name for c in moved)
            text = f"{org.name_of(from_)} 负责的 {len(moved)} 个客户已交给您:{names}。请尽快联系客户,告知新的对接人。"
            digest = hashlib.sha256(",".join(f"{c.id}:{c.version}" for c in moved).encode()).hexdigest()[:16]
            recipient = Recipient.user(to)
            message = OutboundMessage(
                recipient, message_payload(text=text), f"customers-reassign:{from_}:{to}:{digest}"
            )
            uow.outbox.add(message, channel=kesu.dispatcher.channel_for(recipient), now=at)
            uow.commit()
        typer.echo(f"已将 {org.name_of(from_)}({from_})的 {len(moved)} 个客户交给 {org.name_of(to)}({to}):{names}")
        typer.echo(f"已通知 {org.name_of(to)}(消息在发件箱中,由发送程序投递)。")


def cli() -> None:
    """Console-script entry point."""
    app(sys.argv[1:])


if __name__ == "__main__":
    cli()
