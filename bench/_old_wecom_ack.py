"""Acknowledgement latency of WeCom text callbacks: 50 concurrent senders against the real app under uvicorn.

    .venv/bin/python bench/wecom_ack.py [--requests 2000] [--concurrency 50]

The server runs in a child process (the real app from ``bot.wiring``, SQLite in a temporary directory,
no worker: messages stay in the outbox). Each request is a text callback encrypted by wechatpy exactly as
WeCom does. The floor is a bare route in the same server stack that only verifies, decrypts and answers 200.
Prints p50/p99 latency and throughput of both and the ratio Kesu/floor, paced (each sender one callback
per ``--interval``) and saturated (each sender posts again on every answer). Target: p99 < 50 ms in both;
the exit status is 1 when it is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urlencode

import httpx
from fastapi import Request
from fastapi.responses import PlainTextResponse, Response
from wechatpy.enterprise.crypto import WeChatCrypto

CORP_ID = "wwbench0001"
AGENT_ID = "1000002"
TOKEN = "benchtoken"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
USERS = ("sales1", "sales2", "qa1", "rd1", "cs_mgr")
TEXTS = ("明辉电子投诉X200外壳划伤,200个,急", "我的待办", "怎么用", "顺达FX-90风扇叶片裂纹15台")


def _env(db: Path) -> dict[str, str]:
    return {
        **os.environ,
        "KESU_DATABASE_URL": f"sqlite:///{db}",
        "KESU_CONFIG": "",
        "KESU_WECOM_CORP_ID": CORP_ID,
        "KESU_WECOM_AGENT_ID": AGENT_ID,
        "KESU_WECOM_SECRET": "bench-secret",
        "KESU_WECOM_TOKEN": TOKEN,
        "KESU_WECOM_AES_KEY": AES_KEY,
        "KESU_WECOM_API_BASE": "http://127.0.0.1:9/cgi-bin/",  # never called: no worker runs
    }


def serve(port: int, ack_only: bool) -> None:
    """The child: the real Kesu app plus the floor route, under uvicorn. ``ack_only``: a diagnostic run in
    which stored messages are not processed (they stay pending), to separate the ack from the processing."""
    import uvicorn

    from bot.config import Settings
    from bot.wecom.parse import envelope
    from bot.wiring import build, create_app

    if ack_only:
        from bot.intake import GroupIntake

        GroupIntake.later = lambda self, fn, *args: None  # type: ignore[method-assign]
    kesu = build(Settings())
    app = create_app(kesu, worker=False)
    crypto = WeChatCrypto(TOKEN, AES_KEY, CORP_ID)

    @app.post("/floor")
    async def floor(request: Request) -> Response:
        q = request.query_params
        body = await request.body()
        try:
            crypto.decrypt_message(envelope(body), q["msg_signature"], q["timestamp"], q["nonce"])
        except Exception:
            return Response(status_code=400)
        return PlainTextResponse("")

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def _requests(n: int, path: str, port: int) -> list[bytes]:
    crypto = WeChatCrypto(TOKEN, AES_KEY, CORP_ID)
    out = []
    base = int(time.time() * 1000)
    for i in range(n):
        user = USERS[i % len(USERS)]
        ts = str(int(time.time()))
        nonce = f"n{base}{i}"
        inner = (
            f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><FromUserName><![CDATA[{user}]]></FromUserName>"
            f"<CreateTime>{ts}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[{TEXTS[i % len(TEXTS)]}]]></Content><MsgId>{base + i}</MsgId>"
            f"<AgentID>{AGENT_ID}</AgentID></xml>"
        )
        enc = ET.fromstring(crypto.encrypt_message(inner, nonce, ts))
        body = (
            f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><AgentID>{AGENT_ID}</AgentID>"
            f"<Encrypt><![CDATA[{enc.findtext('Encrypt')}]]></Encrypt></xml>"
        ).encode()
        query = {"msg_signature": enc.findtext("MsgSignature") or "", "timestamp": ts, "nonce": nonce}
        out.append(_raw(port, path, query, body))
    return out


def _raw(port: int, path: str, query: dict[str, str], body: bytes) -> bytes:
    """The request bytes, built before timing (a light client: httpx itself costs more CPU than the floor)."""
    head = (
        f"POST {path}?{urlencode(query)} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Content-Type: text/xml\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


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


async def _run(port: int, reqs: list[bytes], concurrency: int, interval: float) -> tuple[list[float], float]:
    """``concurrency`` senders on their own keep-alive connections share ``reqs``; with ``interval`` > 0 each
    sender starts a request every ``interval`` seconds (paced, open loop), else back to back (saturation)."""
    latencies: list[float] = []
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for r in reqs:
        queue.put_nowait(r)

    async def sender(n: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        await asyncio.sleep(interval * n / concurrency)  # spread the senders' phases
        next_at = time.perf_counter()
        while not queue.empty():
            raw = queue.get_nowait()
            started = time.perf_counter()
            status = await _post(reader, writer, raw)
            latencies.append(time.perf_counter() - started)
            if status != 200:
                raise RuntimeError(f"HTTP {status}")
            if interval:
                next_at += interval
                await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
        writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(sender(n) for n in range(concurrency)))
    return latencies, time.perf_counter() - started


def _report(name: str, latencies: list[float], elapsed: float) -> tuple[float, float]:
    ms = sorted(x * 1000 for x in latencies)
    p50 = statistics.median(ms)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    print(
        f"{name:36} n={len(ms)}  p50 {p50:6.1f} ms  p99 {p99:6.1f} ms  max {ms[-1]:6.1f} ms"
        f"  {len(ms) / elapsed:5.0f} req/s"
    )
    return p50, p99


def _settle(db: Path) -> None:
    """Wait (bounded) until the server has processed every stored event, so phases do not overlap."""
    for _ in range(600):
        with sqlite3.connect(db) as conn:
            if conn.execute("SELECT count(*) FROM inbox WHERE status = 'pending'").fetchone()[0] == 0:
                return
        time.sleep(0.1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=1500, help="callbacks per phase")
    parser.add_argument("--concurrency", type=int, default=50, help="concurrent senders")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between one sender's callbacks")
    parser.add_argument("--ack-only", action="store_true", help="diagnostic: do not process the stored messages")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.ack_only)
        return
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    n, c = args.requests, args.concurrency
    results: list[tuple[str, list[float], float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        child = subprocess.Popen(
            [sys.executable, __file__, "--serve", str(port), *(["--ack-only"] if args.ack_only else [])],
            env=_env(db),
            cwd=Path(__file__).parents[1],
        )
        try:
            for _ in range(300):  # bounded wait for the server to start
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.1)
            else:
                raise SystemExit("server did not start")
            asyncio.run(_run(port, _requests(200, "/floor", port), c, 0))  # warm-up
            asyncio.run(_run(port, _requests(200, "/wecom/callback", port), c, 0))
            if not args.ack_only:
                _settle(db)
            for interval, mode in (
                (args.interval, f"paced: each sender every {args.interval:g} s"),
                (0.0, "saturation"),
            ):
                for name, path in (("floor", "/floor"), ("kesu", "/wecom/callback")):
                    lat, elapsed = asyncio.run(_run(port, _requests(n, path, port), c, interval))
                    results.append((f"{name} {mode}", lat, elapsed))
                    if not args.ack_only:
                        _settle(db)
        finally:
            child.terminate()
            child.wait(timeout=30)
    print(f"{c} concurrent senders, {n} encrypted text callbacks per phase; SQLite, uvicorn (h11), one process")
    p99: dict[str, float] = {}
    p50: dict[str, float] = {}
    for label, lat, elapsed in results:
        p50[label], p99[label] = _report(label, lat, elapsed)
    for mode in (f"paced: each sender every {args.interval:g} s", "saturation"):
        k, f = f"kesu {mode}", f"floor {mode}"
        print(f"ratio kesu/floor ({mode}): p50 {p50[k] / p50[f]:.1f}x, p99 {p99[k] / p99[f]:.1f}x")
    worst = max(p99[f"kesu paced: each sender every {args.interval:g} s"], p99["kesu saturation"])
    print(f"target p99 < 50 ms, paced and saturated: {'met' if worst < 50 else 'NOT met'} (worst {worst:.1f} ms)")
    sys.exit(0 if worst < 50 else 1)


if __name__ == "__main__":
    main()
