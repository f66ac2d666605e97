"""End to end under load: a sales person taps 提交 on a complaint's draft card, and QA's card for that form
arrives at (the fake) WeCom. Prints p50/p99 of that time and the throughput.

    .venv/bin/python bench/e2e.py [--db sqlite|postgres] [--senders 20] [--rounds 20]

The server is ``kesu serve`` in a child process (``bot.wiring.build`` + ``create_app`` with its worker: scheduler
and outbox dispatcher, a pass every second) under uvicorn, with WeCom on and its API pointed at a light fake
WeCom run by this process (token, ``message/send``, every other call answered ok; each request timestamped as it
arrives). The org is the demo org plus ``--senders`` sales people. Each sales person, concurrently, in a loop:
sends a complaint as an encrypted text callback (with its own order number), waits for the draft card, taps
提交 on it (the template-card callback WeCom sends), and times from that callback's send until QA's (qa1) card
for the form — found by its order number — reaches the fake; then the next complaint.

Floor, in the same run and under the same load: a message this process writes straight into the outbox (one
transaction, a text to qa1), timed until it reaches the fake — the delivery path alone (the worker's next pass
and one API call), without the tap, the processing and the cards. SQLite in a temporary directory by default;
``--db postgres`` uses a scratch PostgreSQL database.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
from wechatpy.enterprise.crypto import WeChatCrypto

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script: the repository's own packages

from bench._scratch import PG_ADMIN, scratch
from bot.protocol import message_payload
from core.messages import OutboundMessage, Recipient
from storage.db import make_engine
from storage.uow import SqlUnitOfWork, session_factory

ROOT = Path(__file__).resolve().parents[1]
CORP_ID = "wwbench0001"
AGENT_ID = "1000002"
TOKEN = "benchtoken"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


def config(path: Path, senders: int) -> Path:
    """The demo org (kesu.example.toml) plus ``senders`` sales people ``bs1``…"""
    extra = "".join(
        f'\n[[people]]\nid = "bs{k}"\nname = "业务{k}"\nroles = ["sales"]\ndepartment = "sales"\nmanager = "cs_mgr"\n'
        for k in range(1, senders + 1)
    )
    text = (ROOT / "kesu.example.toml").read_text(encoding="utf-8")
    head, sep, tail = text.partition("\n[[chats]]")  # people go before the chats
    path.write_text(head + extra + sep + tail, encoding="utf-8")
    return path


def serve(port: int) -> None:
    """The child: ``kesu serve`` (the app and its worker) under uvicorn, configured by the environment."""
    import uvicorn

    from bot.config import Settings
    from bot.web import create_app
    from bot.wiring import build

    kesu = build(Settings())
    uvicorn.run(create_app(kesu, worker=True), host="127.0.0.1", port=port, log_level="warning", access_log=False)


# --- the fake WeCom API -------------------------------------------------------------------------------------


class FakeWeCom:
    """A light WeCom API on asyncio: answers like WeCom and wakes whoever waits for a message containing a token."""

    def __init__(self) -> None:
        self.waiting: dict[tuple[str, str], asyncio.Future[tuple[float, dict[str, Any]]]] = {}
        self.ids = itertools.count(1)
        self.sends = 0
        self.connections: set[asyncio.StreamWriter] = set()

    def expect(self, to: str, token: str) -> asyncio.Future[tuple[float, dict[str, Any]]]:
        """Resolved with (arrival time, body) when a message to ``to`` containing ``token`` arrives."""
        future: asyncio.Future[tuple[float, dict[str, Any]]] = asyncio.get_running_loop().create_future()
        self.waiting[(to, token)] = future
        return future

    def _received(self, body: dict[str, Any], at: float) -> None:
        self.sends += 1
        to = str(body.get("touser", ""))
        text = json.dumps(body, ensure_ascii=False)
        for (who, token), future in list(self.waiting.items()):
            if who == to and token in text and not future.done():
                future.set_result((at, body))
                del self.waiting[(who, token)]

    def _answer(self, path: str, body: dict[str, Any], at: float) -> dict[str, Any]:
        n = next(self.ids)
        if path.endswith("gettoken"):
            return {"errcode": 0, "errmsg": "ok", "access_token": "BENCHTOKEN", "expires_in": 7200}
        if path.endswith("message/send"):
            self._received(body, at)
            return {"errcode": 0, "errmsg": "ok", "invaliduser": "", "msgid": f"m{n}", "response_code": f"RC{n}"}
        return {"errcode": 0, "errmsg": "ok"}

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections.add(writer)
        try:
            while line := await reader.readline():
                at = time.perf_counter()
                target = line.split()[1].decode()
                length = 0
                while (header := await reader.readline()) not in (b"\r\n", b""):
                    name, _, value = header.decode().partition(":")
                    if name.lower() == "content-length":
                        length = int(value)
                raw = await reader.readexactly(length) if length else b""
                body = json.loads(raw) if raw.startswith(b"{") else {}
                answer = json.dumps(self._answer(urlsplit(target).path, body, at)).encode()
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    + f"Content-Length: {len(answer)}\r\n\r\n".encode()
                    + answer
                )
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self.connections.discard(writer)
            writer.close()

    async def close(self) -> None:
        """End every connection (each handler sees the end of its stream and returns)."""
        for writer in list(self.connections):
            writer.close()
        await asyncio.sleep(0.1)


# --- WeCom callbacks -----------------------------------------------------------------------------------------


class Callbacks:
    """Encrypted callbacks exactly as WeCom sends them, posted on one keep-alive connection per sender."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.crypto = WeChatCrypto(TOKEN, AES_KEY, CORP_ID)
        self.ids = itertools.count(int(time.time() * 1000))

    def _raw(self, inner: str) -> bytes:
        ts = str(int(time.time()))
        nonce = f"n{next(self.ids)}"
        enc = ET.fromstring(self.crypto.encrypt_message(inner, nonce, ts))
        body = (
            f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><AgentID>{AGENT_ID}</AgentID>"
            f"<Encrypt><![CDATA[{enc.findtext('Encrypt')}]]></Encrypt></xml>"
        ).encode()
        query = urlencode({"msg_signature": enc.findtext("MsgSignature") or "", "timestamp": ts, "nonce": nonce})
        head = (
            f"POST /wecom/callback?{query} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
            f"Content-Type: text/xml\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        return head.encode() + body

    def text(self, user: str, content: str) -> bytes:
        return self._raw(
            f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><FromUserName><![CDATA[{user}]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[{content}]]></Content><MsgId>{next(self.ids)}</MsgId>"
            f"<AgentID>{AGENT_ID}</AgentID></xml>"
        )

    def tap(self, user: str, card: dict[str, Any], label: str) -> bytes:
        button = next(b for b in card["button_list"] if b["text"] == label)
        return self._raw(
            f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><FromUserName><![CDATA[{user}]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
            f"<Event><![CDATA[template_card_event]]></Event><EventKey><![CDATA[{button['key']}]]></EventKey>"
            f"<TaskId><![CDATA[{card['task_id']}]]></TaskId><CardType><![CDATA[button_interaction]]></CardType>"
            f"<ResponseCode><![CDATA[CLICK{next(self.ids)}]]></ResponseCode><AgentID>{AGENT_ID}</AgentID></xml>"
        )


async def _post(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, raw: bytes) -> int:
    writer.write(raw)
    await writer.drain()
    status_line = await reader.readline()
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode().partition(":")
        if name.lower() == "content-length":
            length = int(value)
    await reader.readexactly(length)
    return int(status_line.split()[1])


# --- the load ------------------------------------------------------------------------------------------------


async def _wait(future: Awaitable[tuple[float, dict[str, Any]]], what: str) -> tuple[float, dict[str, Any]]:
    try:
        return await asyncio.wait_for(future, timeout=60)
    except TimeoutError:
        raise SystemExit(f"timed out waiting for {what}") from None


async def sales_person(
    k: int, rounds: int, tag: str, port: int, fake: FakeWeCom, calls: Callbacks, out: list[tuple[float, float]]
) -> None:
    """``rounds`` complaints one after the other: (tap → QA's card, tap acknowledged) for each."""
    user = f"bs{k}"
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    for r in range(rounds):
        order = f"PO{tag}{k:03d}{r:04d}"  # the parser reads PO + digits as the order number
        draft = fake.expect(user, order)
        qa = fake.expect("qa1", order)
        if await _post(reader, writer, calls.text(user, f"明辉电子投诉X200外壳划伤,{100 + r}个,急,订单{order}")) != 200:
            raise SystemExit("complaint callback refused")
        _, body = await _wait(draft, f"the draft card of {order}")
        tap = calls.tap(user, body["template_card"], "提交")
        started = time.perf_counter()
        if await _post(reader, writer, tap) != 200:
            raise SystemExit("tap refused")
        acked = time.perf_counter()
        arrived, _ = await _wait(qa, f"QA's card of {order}")
        out.append((arrived - started, acked - started))
    writer.close()


def _outbox_writer(url: str) -> Callable[[str], None]:
    """Writes a text to qa1 straight into the outbox, in one transaction (the floor's message)."""
    factory = session_factory(make_engine(url))

    def write(token: str) -> None:
        with SqlUnitOfWork(factory) as uow:
            msg = OutboundMessage(Recipient.user("qa1"), message_payload(text=f"floor {token}"), f"bench:{token}")
            uow.outbox.add(msg, channel="wecom", now=datetime.now(UTC))
            uow.commit()

    return write


async def floor(url: str, tag: str, fake: FakeWeCom, stop: asyncio.Event, out: list[float]) -> None:
    """Every half second while the load runs: a message into the outbox, timed until it reaches the fake."""
    write = _outbox_writer(url)
    for n in itertools.count():
        if stop.is_set():
            return
        token = f"F{tag}-{n:05d}"
        arrived = fake.expect("qa1", token)
        started = time.perf_counter()
        await asyncio.to_thread(write, token)
        at, _ = await _wait(arrived, f"the floor message {token}")
        out.append(at - started)
        await asyncio.sleep(0.5)


async def load(
    senders: int, rounds: int, tag: str, port: int, fake: FakeWeCom, url: str
) -> tuple[list[tuple[float, float]], list[float], float]:
    """``senders`` sales people at once, and the floor alongside; (taps, floors, seconds)."""
    calls = Callbacks(port)
    taps: list[tuple[float, float]] = []
    floors: list[float] = []
    stop = asyncio.Event()
    floor_task = asyncio.create_task(floor(url, tag, fake, stop, floors))
    started = time.perf_counter()
    await asyncio.gather(*(sales_person(k, rounds, tag, port, fake, calls, taps) for k in range(1, senders + 1)))
    elapsed = time.perf_counter() - started
    stop.set()
    await floor_task
    return taps, floors, elapsed


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000


async def main_async(args: argparse.Namespace, url: str, tmp: Path) -> None:
    fake = FakeWeCom()
    api = await asyncio.start_server(fake.handle, "127.0.0.1", 0)
    api_port = api.sockets[0].getsockname()[1]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        **os.environ,
        "KESU_DATABASE_URL": url,
        "KESU_CONFIG": str(config(tmp / "kesu.toml", args.senders)),
        "KESU_WECOM_CORP_ID": CORP_ID,
        "KESU_WECOM_AGENT_ID": AGENT_ID,
        "KESU_WECOM_SECRET": "bench-secret",
        "KESU_WECOM_TOKEN": TOKEN,
        "KESU_WECOM_AES_KEY": AES_KEY,
        "KESU_WECOM_API_BASE": f"http://127.0.0.1:{api_port}/cgi-bin/",
    }
    child = subprocess.Popen([sys.executable, __file__, "--serve", str(port)], env=env, cwd=ROOT)
    try:
        async with httpx.AsyncClient() as http:
            for _ in range(300):  # bounded wait for the server to start
                try:
                    if (await http.get(f"http://127.0.0.1:{port}/healthz", timeout=1)).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.1)
            else:
                raise SystemExit("server did not start")
        await load(min(args.senders, 4), 1, "9", port, fake, url)  # warm-up: imports, caches, the token
        taps, floors, elapsed = await load(args.senders, args.rounds, "1", port, fake, url)
    finally:
        child.terminate()
        child.wait(timeout=30)
        api.close()
        await fake.close()
    e2e = [t for t, _ in taps]
    acks = [a for _, a in taps]
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}; {args.db}")
    print(
        f"{args.senders} sales people x {args.rounds} complaints each ({len(taps)} forms): text → draft card → 提交 → "
        f"QA's card; server: kesu serve (uvicorn, worker pass every 1 s)"
    )
    print(
        f"提交 → QA card   p50 {_pct(e2e, 0.5):7.1f} ms   p99 {_pct(e2e, 0.99):7.1f} ms   "
        f"max {max(e2e) * 1000:7.1f} ms   mean {statistics.fmean(e2e) * 1000:7.1f} ms"
    )
    print(f"提交 acknowledged p50 {_pct(acks, 0.5):7.1f} ms   p99 {_pct(acks, 0.99):7.1f} ms   (the tap's own answer)")
    print(
        f"floor (outbox → fake) p50 {_pct(floors, 0.5):7.1f} ms   p99 {_pct(floors, 0.99):7.1f} ms   "
        f"n={len(floors)}, same load"
    )
    print(f"throughput: {len(taps) / elapsed:.1f} forms/s end to end ({fake.sends} API sends in all)")
    p50, p99 = _pct(e2e, 0.5) / _pct(floors, 0.5), _pct(e2e, 0.99) / _pct(floors, 0.99)
    print(f"ratio e2e/floor: p50 {p50:.2f}x, p99 {p99:.2f}x")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    ap.add_argument("--senders", type=int, default=20, help="concurrent sales people")
    ap.add_argument("--rounds", type=int, default=20, help="complaints per sales person, one after the other")
    ap.add_argument("--pg-url", default=PG_ADMIN, help="PostgreSQL server (a scratch database is created on it)")
    ap.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        serve(args.serve)
        return
    with tempfile.TemporaryDirectory() as tmp, scratch(args.db, pg_admin=args.pg_url) as db:
        asyncio.run(main_async(args, db.url, Path(tmp)))


if __name__ == "__main__":
    main()
