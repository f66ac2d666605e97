"""`kesu serve --feishu-ws`: lark-oapi's own WebSocket client against a fake long-connection server (real
WebSocket, lark's protobuf frames): messages stored once and processed, taps answered in the ACK, a clean stop."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from bot.web import create_app
from bot.wiring import Kesu, build
from tests.feishu import fake as f
from tests.feishu.conftest import card_id, card_of, feishu_settings, to


@pytest.fixture
def ws(fake: f.FakeFeishu) -> Iterator[f.FakeLongConnection]:
    for server in f.FakeLongConnection().serve():
        fake.ws_url = server.url
        yield server


@pytest.fixture
def kesu(db_url: str, fake: f.FakeFeishu) -> Iterator[Kesu]:
    k = build(feishu_settings(db_url, fake.url))
    yield k
    k.close()


def _inbox(kesu: Kesu) -> int:
    with kesu.engine.connect() as conn:
        return int(conn.exec_driver_sql("SELECT count(*) FROM inbox").scalar_one())


def test_events_and_taps_over_the_long_connection(kesu: Kesu, fake: f.FakeFeishu, ws: f.FakeLongConnection) -> None:
    with TestClient(create_app(kesu, worker=False, long_connections=("feishu",))):
        assert ws.connected.wait(10), "the lark client did not connect"
        endpoint = [c for c in fake.calls if c.path == "/callback/ws/endpoint"]
        assert endpoint and endpoint[0].json()["AppID"] == f.APP_ID

        # A message is acknowledged 200 and stored once, even when Feishu pushes it twice.
        event = f.message_event("ou_sales1", text="华为投诉 P40支架 颜色不一致")
        assert ws.ack(ws.push(event))["code"] == 200
        assert ws.ack(ws.push(event))["code"] == 200
        assert kesu.intake.settle(10)
        with kesu.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*), min(status) FROM inbox").one() == (1, "done")

        # The draft card goes to the sales person; a tap on it is answered in the ACK with a toast and card.
        fake.forget()
        kesu.outbox.drain(now=kesu.now())
        draft = [m for m in to(fake.sent(), "ou_sales1") if m["msg_type"] == "interactive"]
        assert card_id(card_of(draft[0])) == "f1v1"
        tap = f.card_event(
            "ou_sales1", "f1v1", "confirm", form={"quantity": "1000", "severity": "急件"}, message_id="om_x"
        )
        answer = ws.ack(ws.push(tap))
        assert answer["code"] == 200 and answer["data"]["toast"]["type"] == "success"

        # A stranger's tap is refused in the ACK; nothing about them is stored.
        stranger = ws.ack(ws.push(f.card_event("ou_nobody", "f1v2", "valid", message_id="om_y")))
        assert stranger["data"]["toast"]["type"] == "error" and "管理员" in stranger["data"]["toast"]["content"]

        # A frame that is not JSON is acknowledged with no answer, and nothing is stored.
        before = _inbox(kesu)
        assert ws.ack(ws.push(b"not json")) == {"code": 200, "data": None}
        assert _inbox(kesu) == before
    # Leaving the app stops the client: the connection is closed and its thread has ended.
    assert ws.closed.wait(10)
    assert not any(t.name == "kesu-feishu-ws" for t in threading.enumerate())


def test_serve_feishu_ws_needs_feishu(kesu: Kesu) -> None:
    wecom_only = build(feishu_settings(kesu.settings.database_url, "http://127.0.0.1:9", feishu_app_id=None))
    with pytest.raises(ValueError, match="feishu"):
        create_app(wecom_only, long_connections=("feishu",))
    wecom_only.close()
