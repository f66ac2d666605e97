"""PostgreSQL briefly unreachable (a TCP proxy in front of it cuts every connection and refuses new ones): the
webhook answers 503 instead of acknowledging what it could not store, so WeCom delivers it again; the worker's
failing passes are logged and retried; once the database is back everything is delivered exactly once."""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.web import Worker
from bot.wiring import build
from tests.reliability.conftest import (
    assert_complaints,
    assert_delivered_exactly_once,
    assert_events_processed_once,
    backlog,
    complaint,
    queue_events,
    scalar,
    wait_for,
)
from tests.reliability.worker_main import Ahead
from tests.wecom.conftest import WeCom, wecom_settings
from tests.wecom.fake_wecom import Call, FakeWeCom

pytestmark = pytest.mark.parametrize("db_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)


class Proxy:
    """A TCP proxy to ``upstream``: ``cut()`` drops every connection and refuses new ones until ``restore()``."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.listener.getsockname()[1]
        self.up = True
        self.lock = threading.Lock()
        self.open: set[socket.socket] = set()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # closed
            with self.lock:
                if not self.up:
                    client.close()
                    continue
                server = socket.create_connection(self.upstream)
                self.open |= {client, server}
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := src.recv(65536):
                dst.sendall(data)
        self._drop(src, dst)

    def _drop(self, *socks: socket.socket) -> None:
        for s in socks:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()
            with self.lock:
                self.open.discard(s)

    def cut(self) -> None:
        with self.lock:
            self.up = False
            dropping = list(self.open)
        self._drop(*dropping)

    def restore(self) -> None:
        with self.lock:
            self.up = True

    def close(self) -> None:
        self.cut()
        self.listener.close()


@pytest.fixture
def proxied(db_url: str) -> Iterator[tuple[str, Proxy]]:
    """The test database's URL through a proxy, and the proxy."""
    url = sa.engine.make_url(db_url)
    proxy = Proxy((url.host or "127.0.0.1", url.port or 5432))
    yield url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False), proxy
    proxy.close()


def test_while_the_database_is_down_the_webhook_refuses_and_a_redelivery_later_is_stored_once(
    proxied: tuple[str, Proxy], api_base: str, fake: FakeWeCom, config: Path
) -> None:
    url, proxy = proxied
    kesu = build(wecom_settings(url, api_base, config))
    wecom = WeCom(kesu, fake)
    try:
        acked: list[str] = []

        def post(n: int) -> int:
            status: int = wecom.text("sales1", complaint(n), msg_id=500_000 + n).status_code
            if status == 200:
                acked.append(str(500_000 + n))
            return status

        assert [post(n) for n in range(1, 11)] == [200] * 10
        wecom.settle()
        proxy.cut()
        refused = [post(n) for n in range(11, 21)]
        assert refused == [503] * 10  # not acknowledged: WeCom will deliver them again
        wecom.settle()
        proxy.restore()
        assert [post(n) for n in range(11, 21)] == [200] * 10  # WeCom's redeliveries
        assert [post(n) for n in range(1, 6)] == [200] * 5  # and a few it had already delivered: duplicates
        wecom.settle()
        kesu.scheduler.tick(now=kesu.now())  # anything acknowledged but left pending is picked up

        assert_events_processed_once(kesu.engine, acked)  # everything acknowledged is there, once
        assert_complaints(kesu, range(1, 21))
        assert_delivered_exactly_once(kesu.engine, fake, kesu.config.accounts)
    finally:
        wecom.http.close()
        kesu.close()


def test_a_worker_survives_the_database_going_away_mid_batch_and_delivers_everything_once_after(
    proxied: tuple[str, Proxy], api_base: str, fake: FakeWeCom, config: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url, proxy = proxied
    kesu = Ahead(**vars(build(wecom_settings(url, api_base, config))))
    n = 60
    keys = queue_events(kesu, backlog(n), now=kesu.now())
    in_flight: list[Call] = []

    def cut_after_tenth(call: Call) -> None:
        if call.path == "message/send" and len(fake.deliveries) == 10 and not in_flight:
            in_flight.append(call)
            proxy.cut()  # WeCom took the message; the worker cannot record it

    fake.after = cut_after_tenth
    worker = Worker(kesu, interval=0.05)

    def failed_passes() -> int:
        return sum(r.getMessage().startswith("scheduler pass failed") for r in caplog.records)

    try:
        with caplog.at_level(logging.ERROR, logger="bot.web"):
            worker.start()
            wait_for(lambda: failed_passes() >= 5, timeout=60, what="five failed passes while the database is down")
            assert worker.thread.is_alive()
            proxy.restore()
            kesu.ahead = timedelta(minutes=3)  # later: the leases of the interrupted batch have run out
            wait_for(
                lambda: (
                    scalar(kesu.engine, "SELECT count(*) FROM inbox WHERE status = 'done'") == n
                    and scalar(kesu.engine, "SELECT count(*) FROM outbox WHERE status <> 'sent'") == 0
                ),
                timeout=90,
                what="every event processed and every message sent after the database came back",
            )
    finally:
        worker.stop()
    try:
        assert_events_processed_once(kesu.engine, keys)
        assert_complaints(kesu, range(1, n + 1))
        assert_delivered_exactly_once(kesu.engine, fake, kesu.config.accounts)
        assert [c.body for c in fake.duplicates] == [in_flight[0].body]  # the re-send WeCom dropped
    finally:
        kesu.close()
