"""WeCom test harness: the real app (TestClient) in front, the fake WeCom API (a real HTTP server) behind."""

from __future__ import annotations

import itertools
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from wechatpy.enterprise.crypto import WeChatCrypto

from bot.config import Settings
from bot.web import create_app
from bot.wiring import Kesu, build
from tests.wecom.fake_wecom import FakeWeCom, running_fake

CORP_ID = "wwkesu0001"
AGENT_ID = "1000002"
SECRET = "app-secret"
TOKEN = "kesutoken"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
EXAMPLE = Path(__file__).resolve().parents[2] / "kesu.example.toml"


def wecom_settings(db_url: str, api_base: str, config: Path | None = None) -> Settings:
    """Settings with WeCom on, pointed at the fake."""
    return Settings(
        database_url=db_url,
        config=config,
        wecom_corp_id=CORP_ID,
        wecom_agent_id=AGENT_ID,
        wecom_secret=SECRET,
        wecom_token=TOKEN,
        wecom_aes_key=AES_KEY,
        wecom_api_base=api_base,
    )


class WeCom:
    """Sends callbacks exactly as WeCom does (wechatpy's own WeChatCrypto) and reads the answers."""

    def __init__(self, kesu: Kesu, fake: FakeWeCom) -> None:
        self.kesu = kesu
        self.fake = fake
        self.http = TestClient(create_app(kesu, worker=False))
        self.crypto = WeChatCrypto(TOKEN, AES_KEY, CORP_ID)
        self.ids = itertools.count(int(time.time() * 1000))

    def envelope(
        self, inner: str, *, timestamp: int | None = None, crypto: WeChatCrypto | None = None
    ) -> tuple[bytes, dict[str, str]]:
        """The encrypted POST body and query WeCom would send for ``inner``."""
        ts = str(timestamp if timestamp is not None else int(time.time()))
        nonce = f"n{next(self.ids)}"
        out = ET.fromstring((crypto or self.crypto).encrypt_message(inner, nonce, ts))
        body = (
            f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><AgentID><![CDATA[{AGENT_ID}]]></AgentID>"
            f"<Encrypt><![CDATA[{out.findtext('Encrypt')}]]></Encrypt></xml>"
        ).encode()
        return body, {"msg_signature": out.findtext("MsgSignature") or "", "timestamp": ts, "nonce": nonce}

    def post(self, inner: str, **kw: Any) -> Any:
        body, query = self.envelope(inner, **kw)
        return self.http.post("/wecom/callback", params=query, content=body)

    def text(self, userid: str, content: str, *, msg_id: int | None = None, **kw: Any) -> Any:
        mid = msg_id if msg_id is not None else next(self.ids)
        return self.post(inner_text(userid, content, mid), **kw)

    def image(self, userid: str, media_id: str) -> Any:
        inner = (
            f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><FromUserName><![CDATA[{userid}]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[image]]></MsgType>"
            f"<PicUrl><![CDATA[http://x/p.png]]></PicUrl><MediaId><![CDATA[{media_id}]]></MediaId>"
            f"<MsgId>{next(self.ids)}</MsgId><AgentID>{AGENT_ID}</AgentID></xml>"
        )
        return self.post(inner)

    def click(self, userid: str, card: dict[str, Any], label: str, *, created: int | None = None) -> Any:
        """Tap the button labelled ``label`` on a template card that was sent."""
        button = next(b for b in card["button_list"] if b["text"] == label)
        inner = (
            f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><FromUserName><![CDATA[{userid}]]></FromUserName>"
            f"<CreateTime>{created or int(time.time())}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
            f"<Event><![CDATA[template_card_event]]></Event><EventKey><![CDATA[{button['key']}]]></EventKey>"
            f"<TaskId><![CDATA[{card['task_id']}]]></TaskId><CardType><![CDATA[button_interaction]]></CardType>"
            f"<ResponseCode><![CDATA[CLICK{next(self.ids)}]]></ResponseCode><AgentID>{AGENT_ID}</AgentID></xml>"
        )
        return self.post(inner)

    def reply(self, response: Any) -> ET.Element:
        """The decrypted passive reply of a callback answer."""
        root = ET.fromstring(response.text)
        plain = self.crypto.decrypt_message(
            response.text, root.findtext("MsgSignature"), root.findtext("TimeStamp"), root.findtext("Nonce")
        )
        return ET.fromstring(plain)

    def settle(self) -> None:
        """Wait (bounded) until the background thread has handled every stored message."""
        assert self.kesu.intake.settle(timeout=30), "processing did not finish"

    def drain(self) -> None:
        """Let processing finish, then deliver every due outbox message (to the fake)."""
        self.settle()
        self.kesu.outbox.drain(now=self.kesu.now())

    def inbox(self) -> int:
        with self.kesu.engine.connect() as conn:
            return int(conn.execute(sa.text("SELECT count(*) FROM inbox")).scalar_one())


def inner_text(userid: str, content: str, msg_id: int) -> str:
    return (
        f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><FromUserName><![CDATA[{userid}]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId><AgentID>{AGENT_ID}</AgentID></xml>"
    )


@pytest.fixture(scope="session")
def fake_server() -> Iterator[tuple[FakeWeCom, str]]:
    with running_fake() as running:
        yield running


@pytest.fixture
def fake(fake_server: tuple[FakeWeCom, str]) -> FakeWeCom:
    """The fake WeCom API, emptied for this test."""
    f = fake_server[0]
    f.reset()
    return f


@pytest.fixture
def api_base(fake_server: tuple[FakeWeCom, str]) -> str:
    return fake_server[1]


@pytest.fixture
def wecom_config(tmp_path: Path) -> Path:
    """The example org with the qa group as an appchat and the mgmt group as a robot webhook."""
    text = EXAMPLE.read_text(encoding="utf-8")
    text = text.replace('feishu = "oc_qa"', 'wecom = "wrqa"').replace(
        'feishu = "oc_mgmt"', 'wecom_webhook = "hookmgmt"'
    )
    path = tmp_path / "kesu.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def wecom(db_url: str, api_base: str, fake: FakeWeCom, wecom_config: Path) -> Iterator[WeCom]:
    kesu = build(wecom_settings(db_url, api_base, wecom_config))
    harness = WeCom(kesu, fake)
    try:
        yield harness
    finally:
        harness.http.close()
        kesu.close()
