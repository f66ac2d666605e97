"""A burst of WeCom callbacks, 30 % of them delivered twice (same MsgId), against `kesu serve` (the real app under
uvicorn, with its worker) and the fake WeCom API: each event stored once and processed once, one draft per
complaint, every answer delivered once."""

from __future__ import annotations

import asyncio
import random
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
from wechatpy.enterprise.crypto import WeChatCrypto

from bot.wiring import Kesu, build
from tests.reliability.conftest import (
    CHATTER,
    OTHERS,
    SALES,
    Processes,
    assert_complaints,
    assert_delivered_exactly_once,
    assert_events_processed_once,
    complaint,
    scalar,
    wait_for,
)
from tests.wecom.conftest import AES_KEY, AGENT_ID, CORP_ID, TOKEN, inner_text, wecom_settings
from tests.wecom.fake_wecom import FakeWeCom, free_port

SENDERS = 50  # concurrent connections, like WeCom's callback pushers under load
COMPLAINT_EVERY = 20  # one message in 20 files a complaint; the rest ask for help, tasks, or chat


@pytest.fixture
def kesu(db_url: str, api_base: str, config: Path) -> Iterator[Kesu]:
    k = build(wecom_settings(db_url, api_base, config), migrate=False)
    yield k
    k.close()


def _events(n: int) -> tuple[list[tuple[str, str, str]], list[int]]:
    """(MsgId, user, text) of ``n`` distinct messages, and the quantities of the complaints among them."""
    base = int(time.time() * 1000)
    events, quantities = [], []
    for i in range(n):
        if i % COMPLAINT_EVERY == 0:
            q = i // COMPLAINT_EVERY + 1
            events.append((str(base + i), SALES[q % len(SALES)], complaint(q)))
            quantities.append(q)
        else:
            events.append((str(base + i), OTHERS[i % len(OTHERS)], CHATTER[i % len(CHATTER)]))
    return events, quantities


def _deliveries(events: list[tuple[str, str, str]], rng: random.Random) -> list[tuple[str, str, str]]:
    """Every event once, and 30 % of them again: half right behind the first copy (both in flight at once), half
    later (after the first was stored, perhaps processed)."""
    twice = set(rng.sample(range(len(events)), k=len(events) * 3 // 10))
    out: list[tuple[str, str, str]] = []
    later: list[tuple[str, str, str]] = []
    for i, event in enumerate(events):
        out.append(event)
        if i in twice:
            (out if i % 2 else later).append(event)
    for event in later:
        out.insert(rng.randrange(out.index(event) + 1, len(out) + 1), event)
    return out


def _request(crypto: WeChatCrypto, port: int, msg_id: str, user: str, text: str, n: int) -> bytes:
    """One callback as WeCom posts it: encrypted and signed (a redelivery is encrypted afresh)."""
    ts, nonce = str(int(time.time())), f"n{n}"
    enc = ET.fromstring(crypto.encrypt_message(inner_text(user, text, int(msg_id)), nonce, ts))
    body = (
        f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><AgentID>{AGENT_ID}</AgentID>"
        f"<Encrypt><![CDATA[{enc.findtext('Encrypt')}]]></Encrypt></xml>"
    ).encode()
    query = urlencode({"msg_signature": enc.findtext("MsgSignature") or "", "timestamp": ts, "nonce": nonce})
    head = (
        f"POST /wecom/callback?{query} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Content-Type: text/xml\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def _post_all(port: int, requests: list[bytes]) -> list[int]:
    """Post every request over SENDERS keep-alive connections (raw HTTP/1.1: the client must not be the
    bottleneck); the status of each answer."""
    statuses: list[int] = []
    pending = list(reversed(requests))

    async def sender() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while pending:
            writer.write(pending.pop())
            await writer.drain()
            status = int((await reader.readline()).split()[1])
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode().partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            await reader.readexactly(length)
            statuses.append(status)
        writer.close()

    await asyncio.gather(*(sender() for _ in range(SENDERS)))
    return statuses


@pytest.mark.parametrize("n", [600, pytest.param(10_000, marks=pytest.mark.slow)])
def test_a_burst_with_redeliveries_stores_processes_and_answers_each_message_once(
    n: int, kesu: Kesu, fake: FakeWeCom, processes: Processes
) -> None:
    port = free_port()
    processes.start("serve", "--port", str(port), name="serve")

    def up() -> bool:
        try:
            return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    wait_for(up, timeout=60, what="kesu serve to answer", processes=processes)
    events, quantities = _events(n)
    crypto = WeChatCrypto(TOKEN, AES_KEY, CORP_ID)
    deliveries = _deliveries(events, random.Random(10))
    requests = [_request(crypto, port, *event, n=i) for i, event in enumerate(deliveries)]
    assert len(requests) == n + n * 3 // 10

    statuses = asyncio.run(_post_all(port, requests))
    assert statuses == [200] * len(requests)  # every callback acknowledged, none refused

    engine = kesu.engine
    wait_for(
        lambda: (
            scalar(engine, "SELECT count(*) FROM inbox WHERE status = 'done'") == n
            and scalar(engine, "SELECT count(*) FROM outbox WHERE status <> 'sent'") == 0
        ),
        timeout=120 + n * 0.1,
        what=f"{n} events processed and every answer sent",
        processes=processes,
    )
    assert_events_processed_once(engine, [msg_id for msg_id, _, _ in events])
    assert_complaints(kesu, quantities)
    assert_delivered_exactly_once(engine, fake, kesu.config.accounts)
    assert fake.duplicates == []  # nothing had to be sent twice
