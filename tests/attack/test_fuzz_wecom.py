"""Fuzzing ``/wecom/callback`` (POST and GET) and ``/healthz``: random query strings, headers and bodies (bytes,
XML, envelopes around random ciphertext, random callbacks encrypted with the real key) never get a 5xx and never
store anything. Every sender in the generated callbacks is outside the org, so nothing may be stored even when the
signature is right."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.attack.conftest import Snapshot, changed, snapshot, stored_rows
from tests.attack.strategies import FUZZ, headers, json_values, query, xml_text
from tests.attack.test_wecom import outer, sign
from tests.wecom.conftest import AGENT_ID, CORP_ID, WeCom

# A refused request never reaches the database, so one kind is enough here (and keeps the run short); the
# attacks in the other modules run on both.
pytestmark = pytest.mark.parametrize("module_db", ["sqlite"], indirect=True, scope="module")

PARAMS = ("msg_signature", "timestamp", "nonce", "echostr")
TAGS = ["xml", "Encrypt", "ToUserName", "AgentID", "FromUserName", "MsgType", "Content", "Event", "EventKey"]
STRANGERS = ["mallory", "eve", "zz", "WWKESU0001", "sales1x", "qa1 qa1"]  # none is anyone's WeCom userid

xml_safe = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=40).map(
    lambda s: s.replace("]]>", "")
)


@st.composite
def callbacks(draw: st.DrawFn) -> str:
    """A decrypted callback of any shape: some of WeCom's fields, with plausible or random values."""
    fields = {
        "ToUserName": st.sampled_from([CORP_ID, "wwother", ""]) | xml_safe,
        "FromUserName": st.sampled_from(STRANGERS) | xml_safe.map(lambda s: "zz" + s),
        "CreateTime": st.integers(-1, 2**40).map(str) | xml_safe,
        "MsgType": st.sampled_from(["text", "image", "event", "voice", "file", "location", ""]) | xml_safe,
        "Content": xml_safe,
        "MediaId": xml_safe,
        "MsgId": st.integers(0, 2**64).map(str) | xml_safe,
        "Event": st.sampled_from(["template_card_event", "click", "enter_agent", "subscribe"]) | xml_safe,
        "EventKey": st.sampled_from(["f1v1|confirm|", "a1s0|approve|comment:意见", "f1v2||", "|||"]) | xml_safe,
        "TaskId": xml_safe,
        "ResponseCode": xml_safe,
        "AgentID": st.sampled_from([AGENT_ID, "0", "-1"]) | xml_safe,
    }
    names = draw(st.lists(st.sampled_from(list(fields)), unique=True, max_size=len(fields)))
    if draw(st.integers(0, 9)):  # nearly always a sender, so the parse goes on to the person
        names.append("FromUserName")
    inner = "".join(f"<{n}><![CDATA[{draw(fields[n])}]]></{n}>" for n in dict.fromkeys(names))
    return f"<xml>{inner}</xml>"


# (kind, query, body, headers): "raw" is sent as drawn; "forged" gets a fresh timestamp and a random signature;
# "ciphertext" puts a random Encrypt in a well-formed envelope, signed with the real token; "inner" encrypts a
# random callback with the real key and corp id.
raw_bodies = (
    st.binary(max_size=3000) | xml_text(TAGS).map(str.encode) | json_values.map(lambda v: json.dumps(v).encode())
)
ciphertexts = st.text(max_size=200) | st.binary(max_size=300).map(lambda b: base64.b64encode(b).decode())
inners = st.one_of(callbacks(), callbacks(), xml_text(TAGS), xml_safe)
Request = tuple[str, dict[str, str], bytes, dict[str, str]]
requests: st.SearchStrategy[Request] = st.one_of(
    st.tuples(st.just("raw"), query(*PARAMS), raw_bodies, headers()),
    st.tuples(st.just("forged"), query("msg_signature"), raw_bodies, headers()),
    st.tuples(st.just("ciphertext"), st.just({}), ciphertexts.map(str.encode), headers()),
    st.tuples(st.just("inner"), st.just({}), inners.map(str.encode), headers()),
)


@pytest.fixture(scope="module")
def baseline(wecom: WeCom) -> Snapshot:
    """The tables before the fuzz runs: all empty, so any row at all afterwards was stored by an example."""
    tables = snapshot(wecom.kesu.engine)
    assert not any(tables.values())
    return tables


def _nothing_stored(wecom: WeCom, baseline: Snapshot) -> None:
    wecom.settle()
    assert stored_rows(wecom.kesu.engine) == 0, changed(baseline, snapshot(wecom.kesu.engine))


@FUZZ
@given(request=requests)
def test_no_callback_gets_a_server_error_or_stores_anything(wecom: WeCom, baseline: Snapshot, request: Request) -> None:
    kind, params, body, extra = request
    if kind == "forged":
        params = {**params, "timestamp": str(int(time.time())), "nonce": "fuzz"}
    elif kind == "ciphertext":
        encrypt = body.decode()
        ts, nonce = str(int(time.time())), "fuzz"
        params, body = {"msg_signature": sign(encrypt, ts, nonce), "timestamp": ts, "nonce": nonce}, outer(encrypt)
    elif kind == "inner":
        body, params = wecom.envelope(body.decode())
    resp = wecom.http.post("/wecom/callback", params=params, content=body, headers=extra)
    assert resp.status_code < 500, (kind, resp.status_code, resp.text)
    if kind != "inner":  # only a callback encrypted with the real key is answered 200 (a text to the stranger)
        assert 400 <= resp.status_code < 500, (kind, resp.status_code)
    _nothing_stored(wecom, baseline)


@FUZZ
@given(params=query(*PARAMS), extra=headers(), echo=st.none() | ciphertexts)
def test_no_url_verification_gets_a_server_error_or_stores_anything(
    wecom: WeCom, baseline: Snapshot, params: dict[str, str], extra: dict[str, str], echo: str | None
) -> None:
    if echo is not None:  # a random echostr under a valid signature: the decryption itself is fuzzed
        ts, nonce = str(int(time.time())), "fuzz"
        params = {"msg_signature": sign(echo, ts, nonce), "timestamp": ts, "nonce": nonce, "echostr": echo}
    resp = wecom.http.get("/wecom/callback", params=params, headers=extra)
    assert 400 <= resp.status_code < 500, (resp.status_code, resp.text)
    _nothing_stored(wecom, baseline)


@FUZZ
@given(
    method=st.sampled_from(["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS"]),
    params=query("verbose", "db"),
    extra=headers(),
    body=st.binary(max_size=200),
)
def test_healthz_answers_every_request_without_a_server_error(
    wecom: WeCom, baseline: Snapshot, method: str, params: dict[str, str], extra: dict[str, str], body: Any
) -> None:
    resp = wecom.http.request(method, "/healthz", params=params, headers=extra, content=body)
    assert resp.status_code == (200 if method == "GET" else 405), (method, resp.status_code)
    if method == "GET":
        assert resp.json()["status"] == "ok"
    _nothing_stored(wecom, baseline)
