"""Reliability harness: Kesu as real processes (`kesu serve`, `kesu worker`) or in-process, in front of the fake
WeCom API, and the checks every case ends with — no complaint lost or duplicated, every event processed once,
every message delivered exactly once per recipient (by what WeCom deduplicates on)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from bot.accounts import Accounts
from bot.protocol import InboundEvent
from bot.wecom import render
from bot.wiring import Kesu
from tests.wecom.conftest import AES_KEY, AGENT_ID, CORP_ID, EXAMPLE, SECRET, TOKEN
from tests.wecom.fake_wecom import FakeWeCom, running_fake

TZ = ZoneInfo("Asia/Shanghai")
SALES = ("sales1", "sales2", "cs_mgr")  # the people who may log complaints
OTHERS = ("qa1", "rd1", "prod1", "vp")
CHATTER = ("怎么用", "我的待办", "今天中午吃什么")
ROOT = Path(__file__).resolve().parents[2]


def complaint(n: int) -> str:
    """A complete complaint whose quantity ``n`` names it: it becomes one draft, with a card to its sender."""
    return f"明辉电子投诉X200外壳划伤,{n}个,急"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """`slow` cases (the 10,000-event burst) run only when asked for: ``pytest -m slow``."""
    if "slow" in (config.option.markexpr or ""):
        return
    slow = [item for item in items if item.get_closest_marker("slow")]
    if slow:
        config.hook.pytest_deselected(items=slow)
        items[:] = [item for item in items if not item.get_closest_marker("slow")]


@pytest.fixture(scope="session")
def fake_server() -> Iterator[tuple[FakeWeCom, str]]:
    with running_fake() as running:
        yield running


@pytest.fixture
def fake(fake_server: tuple[FakeWeCom, str]) -> FakeWeCom:
    """The fake WeCom API, emptied for this test."""
    fake_server[0].reset()
    return fake_server[0]


@pytest.fixture
def api_base(fake_server: tuple[FakeWeCom, str]) -> str:
    return fake_server[1]


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """The example org with the qa group as a WeCom app chat. The mgmt group stays on the local channel: the
    monthly report a worker's first pass sends there is not what these tests count."""
    text = EXAMPLE.read_text(encoding="utf-8").replace('feishu = "oc_qa"', 'wecom = "wrqa"')
    path = tmp_path / "kesu.toml"
    path.write_text(text, encoding="utf-8")
    return path


def kesu_env(db_url: str, api_base: str, config: Path) -> dict[str, str]:
    """The environment of a Kesu process on ``db_url`` with WeCom pointed at the fake."""
    return {
        **os.environ,
        "KESU_DATABASE_URL": db_url,
        "KESU_CONFIG": str(config),
        "KESU_WECOM_CORP_ID": CORP_ID,
        "KESU_WECOM_AGENT_ID": AGENT_ID,
        "KESU_WECOM_SECRET": SECRET,
        "KESU_WECOM_TOKEN": TOKEN,
        "KESU_WECOM_AES_KEY": AES_KEY,
        "KESU_WECOM_API_BASE": api_base,
        "PYTHONPATH": str(ROOT),
    }


class Processes:
    """Kesu processes started by a test: each logs to its own file; any still running at the end is killed."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env = env
        self.logs = logs
        self.started: list[tuple[subprocess.Popen[bytes], Path]] = []

    def start(self, *args: str, name: str) -> subprocess.Popen[bytes]:
        """``kesu ARGS`` (the command line's own entry point); ``worker_main`` arguments run that script."""
        log = self.logs / f"{name}.log"
        if args and args[0] == "worker_main":
            command = [sys.executable, "-m", "tests.reliability.worker_main", *args[1:]]
        else:
            command = [sys.executable, "-c", "from bot.main import cli; cli()", *args]
        with log.open("wb") as out:
            proc = subprocess.Popen(command, env=self.env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
        self.started.append((proc, log))
        return proc

    def worker(self, name: str, *, ahead: float = 0.0) -> subprocess.Popen[bytes]:
        """A worker passing every 50 ms: `kesu worker`, or with ``ahead`` the same loop on a clock that many
        seconds ahead (a worker started after the leases of a dead one ran out)."""
        if ahead:
            return self.start("worker_main", "--ahead", str(ahead), "--interval", "0.05", name=name)
        return self.start("worker", "--interval", "0.05", name=name)

    @staticmethod
    def kill(proc: subprocess.Popen[bytes]) -> None:
        """SIGKILL: no clean-up, no finally, open transactions cut off."""
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)

    def check_alive(self) -> None:
        """Fail with its log if a process died by itself."""
        for proc, log in self.started:
            code = proc.poll()
            if code is not None and code != -signal.SIGKILL:
                tail = log.read_text(encoding="utf-8", errors="replace")[-3000:]
                pytest.fail(f"{log.name} exited with {code}:\n{tail}")

    def stop_all(self) -> None:
        for proc, _ in self.started:
            if proc.poll() is None:
                self.kill(proc)


@pytest.fixture
def processes(db_url: str, api_base: str, config: Path, tmp_path: Path) -> Iterator[Processes]:
    procs = Processes(kesu_env(db_url, api_base, config), tmp_path)
    try:
        yield procs
    finally:
        procs.stop_all()


def wait_for(condition: Callable[[], bool], *, timeout: float, what: str, processes: Processes | None = None) -> None:
    """Poll ``condition`` until it holds; fail after ``timeout`` seconds (or at once if a process died)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if processes is not None:
            processes.check_alive()
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.02)


def scalar(engine: sa.Engine, sql: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text(sql)).scalar_one())


def queue_events(kesu: Kesu, texts: Sequence[tuple[str, str]], *, now: datetime, first_id: int = 1) -> list[str]:
    """Store text messages in the inbox as the WeCom callback does (event key = MsgId), unprocessed: a backlog
    for workers. Returns the event keys."""
    keys = []
    for i, (user, text) in enumerate(texts):
        key = str(first_id + i)
        event = InboundEvent(platform="wecom", event_key=key, user=user, at=now, text=text)
        assert kesu.dispatcher.ingest(event, now=now) is not None
        keys.append(key)
    return keys


def backlog(n_complaints: int, n_chatter: int = 0) -> list[tuple[str, str]]:
    """Complaints 1…n from the sales people, interleaved with ``n_chatter`` other messages from everyone else."""
    texts = [(SALES[i % len(SALES)], complaint(i + 1)) for i in range(n_complaints)]
    for i in range(n_chatter):
        texts.insert((i * 7) % (len(texts) + 1), (OTHERS[i % len(OTHERS)], CHATTER[i % len(CHATTER)]))
    return texts


# --- the checks ------------------------------------------------------------------------------------------


def assert_events_processed_once(engine: sa.Engine, keys: Sequence[str]) -> None:
    """One inbox row per distinct event, each done on its first attempt, and each answered (outbox ``in<id>:…``)."""
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT id, event_key, status, attempts FROM inbox")).all()
        answered = {k.split(":")[0] for (k,) in conn.execute(sa.text("SELECT key FROM outbox WHERE key LIKE 'in%'"))}
    assert sorted(r.event_key for r in rows) == sorted(set(keys))
    assert {r.status for r in rows} == {"done"}
    assert {r.attempts for r in rows} == {1}
    assert {f"in{r.id}" for r in rows} == answered


def assert_complaints(kesu: Kesu, quantities: Sequence[int]) -> None:
    """Exactly one draft per complaint message: none lost, none made twice."""
    found: list[int] = []
    with kesu.uow() as uow:
        for owner in SALES:
            found += [int(f.details.quantity or 0) for f in uow.complaints.open_drafts(owner)]
    assert sorted(found) == sorted(quantities)


def _identity(body: dict[str, Any], path: str) -> tuple[Any, ...]:
    """What tells one message from another at WeCom: a template card's task id (one per outbox delivery), else
    the recipient and the words."""
    if path == "appchat/send":
        return ("chat", body["chatid"], body[body["msgtype"]]["content"])
    if body["msgtype"] == "template_card":
        return ("card", int(body["template_card"]["task_id"].rsplit("-", 2)[1]))
    return (body["msgtype"], body["touser"], body[body["msgtype"]]["content"])


def expected_messages(engine: sa.Engine, accounts: Accounts) -> Counter[tuple[Any, ...]]:
    """Every WeCom outbox row, sent (none pending, none given up), as the message WeCom should have shown."""
    want: Counter[tuple[Any, ...]] = Counter()
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT id, status, recipient_kind, recipient_id, payload FROM outbox WHERE channel = 'wecom'")
        ).all()
    assert {r.status for r in rows} <= {"sent"}, Counter(r.status for r in rows)
    for r in rows:
        payload = r.payload if isinstance(r.payload, dict) else json.loads(r.payload)
        card = payload.get("card")
        if r.recipient_kind == "chat":
            chat = accounts.chat(r.recipient_id)
            assert chat is not None and chat.wecom
            body = render.markdown_message(payload) if card else render.text_message(payload["text"])
            want[_identity({"chatid": chat.wecom, **body}, "appchat/send")] += 1
            continue
        userid = accounts.account("wecom", r.recipient_id)
        if card and card.get("actions"):
            want[("card", r.id)] += 1
        elif card:
            want[("markdown", userid, render.markdown(payload))] += 1
        else:
            want[("text", userid, payload["text"])] += 1
    return want


def assert_delivered_exactly_once(engine: sa.Engine, fake: FakeWeCom, accounts: Accounts) -> None:
    """What people received at the fake WeCom equals the outbox, message for message: nothing lost, nothing
    shown twice (a re-send WeCom's duplicate check dropped is not shown)."""
    got = Counter(_identity(c.body, c.path) for c in fake.deliveries)
    want = expected_messages(engine, accounts)
    assert got == want, {"missing": want - got, "extra": got - want}
