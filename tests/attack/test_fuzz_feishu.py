"""Fuzzing ``/feishu/events`` and ``/feishu/card``: random headers and bodies (bytes, XML, JSON), random bodies
signed with the real key, and random events encrypted and signed exactly as Feishu does, never get a 5xx and never
store anything. Every person in the generated events is outside the org, so nothing may be stored even when the
signature is right (the only table that may fill is the platform token: telling a stranger to ask an admin sends
a message)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.attack.conftest import Snapshot, changed, snapshot, stored_rows
from tests.attack.strategies import FUZZ, headers, json_values, xml_text
from tests.attack.test_feishu import signed_raw
from tests.feishu import fake as f
from tests.feishu.conftest import FeishuBot

# A refused request never reaches the database, so one kind is enough here (and keeps the run short); the
# attacks in the other modules run on both.
pytestmark = pytest.mark.parametrize("module_db", ["sqlite"], indirect=True, scope="module")

SIGNATURE_HEADERS = ("X-Lark-Request-Timestamp", "X-Lark-Request-Nonce", "X-Lark-Signature")
EVENT_TYPES = ["im.message.receive_v1", "card.action.trigger", "im.chat.member.bot.added_v1", "url_verification"]
STRANGERS = ["ou_mallory", "ou_", "", "oc_qa", "sales1"]  # none is anyone's open_id
MAY_FILL = frozenset({"platform_token"})

anything = json_values | st.text(max_size=20)


@st.composite
def events(draw: st.DrawFn) -> dict[str, Any]:
    """A decrypted schema 2.0 event or callback of any shape, with the right token and app id (only Feishu could
    send it), from a stranger."""
    stranger = draw(st.sampled_from(STRANGERS) | st.text(max_size=12).map(lambda s: "zz" + s))
    header = {
        "event_id": draw(st.text(max_size=40) | st.uuids().map(str)),
        "event_type": draw(st.sampled_from(EVENT_TYPES) | st.text(max_size=30)),
        "create_time": draw(st.text(max_size=14)),
        "token": f.VERIFICATION_TOKEN,
        "app_id": f.APP_ID,
    }
    message = {
        "message_id": draw(st.text(max_size=12)),
        "chat_id": draw(st.sampled_from(["oc_qa", "oc_p2p", ""]) | st.text(max_size=8)),
        "chat_type": draw(st.sampled_from(["p2p", "group", ""]) | st.text(max_size=8)),
        "message_type": draw(st.sampled_from(["text", "post", "image", "file", ""]) | st.text(max_size=8)),
        "content": draw(st.text(max_size=60) | json_values.map(json.dumps) | anything),
        "mentions": draw(st.lists(anything, max_size=3) | anything),
    }
    action = {
        "tag": draw(st.sampled_from(["button", "select_static", ""])),
        "value": draw(
            st.fixed_dictionaries({"card": st.sampled_from(["f1v1", "a1s0", "zz9"]) | st.text(max_size=8)}).map(
                lambda d: {**d, "action": "confirm"}
            )
            | anything
        ),
        "form_value": draw(st.dictionaries(st.text(max_size=8), anything, max_size=3) | anything),
    }
    event = {
        "sender": {"sender_id": {"open_id": stranger}, "sender_type": draw(st.sampled_from(["user", "app", ""]))},
        "operator": {"open_id": stranger},
        "message": message,
        "action": action,
        "context": draw(st.dictionaries(st.sampled_from(["open_message_id", "open_chat_id"]), anything, max_size=2)),
    }
    keep = draw(st.just(list(event)) | st.lists(st.sampled_from(list(event)), unique=True))
    payload: dict[str, Any] = {"schema": "2.0", "header": header, "event": {k: event[k] for k in keep}}
    if draw(st.booleans()):  # now and then a field of the wrong type anywhere
        where = draw(st.sampled_from(["header", "event", "schema"]))
        payload[where] = draw(anything)
    return payload


# (kind, body, headers): "raw" is sent as drawn; "signed" signs the random body with the real key;
# "event" encrypts and signs a random event exactly as Feishu does.
raw_bodies = st.binary(max_size=3000) | xml_text(["encrypt", "xml"]).map(str.encode) | json_values.map(json.dumps)
requests = st.one_of(
    st.tuples(st.just("raw"), raw_bodies, headers(*SIGNATURE_HEADERS)),
    st.tuples(st.just("signed"), raw_bodies, headers()),
    st.tuples(st.just("event"), events(), headers()),
)


@pytest.fixture(scope="module")
def baseline(feishu: FeishuBot) -> Snapshot:
    """The tables before the fuzz runs: all empty, so any row at all afterwards was stored by an example."""
    tables = snapshot(feishu.kesu.engine)
    assert not any(tables.values())
    return tables


@pytest.mark.parametrize("path", ["/feishu/events", "/feishu/card"])
@FUZZ
@given(request=requests)
def test_no_request_gets_a_server_error_or_stores_anything(
    feishu: FeishuBot, baseline: Snapshot, path: str, request: tuple[str, Any, dict[str, str]]
) -> None:
    kind, body, extra = request
    if isinstance(body, str):
        body = body.encode()
    if kind == "event":
        body = json.dumps({"encrypt": f.encrypt(json.dumps(body))}).encode()
    hdrs = extra if kind == "raw" else {**extra, **signed_raw(body)}
    resp = feishu.http.post(path, content=body, headers=hdrs)
    feishu.settle()
    assert resp.status_code < 500, (kind, resp.status_code, resp.text)
    if kind == "raw":  # unsigned: refused
        assert 400 <= resp.status_code < 500, (resp.status_code, resp.text)
    assert stored_rows(feishu.kesu.engine, ignore=MAY_FILL) == 0, changed(baseline, snapshot(feishu.kesu.engine))
