"""Card taps on WeCom that must not work: by someone who is not the assignee or approver, on other people's forms,
on cards that do not exist, with an action no card has, by a user id not in the org. Each is signed and encrypted
exactly as WeCom sends it (only WeCom can), so what is checked is Kesu's own rules: the tapped button shows a short
Chinese refusal, the tapper alone is told why, and no form, approval, clock, counter or audit row changes."""

from __future__ import annotations

import itertools
import json
import re
import time
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa

from tests.attack.conftest import Snapshot, changed, snapshot
from tests.wecom.conftest import AGENT_ID, CORP_ID, WeCom

_ids = itertools.count(1)
# Where a tap leaves a trace even when refused: the tap itself (inbox, marked done), the refusal to the tapper
# (outbox), and the response code of the tapper's copy of the card (card_copy, to update that copy later).
TAP_TABLES = {"inbox", "outbox", "card_copy"}


def tap_xml(userid: str, event_key: str, task_id: str = "task-x", *, created: int | None = None) -> str:
    """A decrypted template_card_event as WeCom sends it (official sample shape)."""
    return (
        f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><FromUserName><![CDATA[{userid}]]></FromUserName>"
        f"<CreateTime>{created or int(time.time())}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
        f"<Event><![CDATA[template_card_event]]></Event><EventKey><![CDATA[{event_key}]]></EventKey>"
        f"<TaskId><![CDATA[{task_id}]]></TaskId><CardType><![CDATA[button_interaction]]></CardType>"
        f"<ResponseCode><![CDATA[RC{next(_ids)}]]></ResponseCode><AgentID>{AGENT_ID}</AgentID></xml>"
    )


def key_of(card: dict[str, Any], label: str) -> str:
    return str(next(b["key"] for b in card["button_list"] if b["text"] == label))


@dataclass(frozen=True)
class Forms:
    """The cards the attacks aim at: QA's card of sales1's submitted form, sales1's own draft, cs_mgr's approval
    of sales1's return request."""

    qa_valid: str
    draft_submit: str
    approve: str
    reject: str


@pytest.fixture(scope="module")
def forms(wecom: WeCom) -> Forms:
    fake = wecom.fake
    wecom.text("sales1", "明辉电子投诉X200外壳划伤,200个,急")
    wecom.drain()
    wecom.click("sales1", fake.cards_to("sales1")[-1], "提交")
    wecom.drain()
    qa_card = fake.cards_to("qa1")[-1]
    number = qa_card["main_title"]["title"].split()[0]
    wecom.text("sales1", f"申请退货 {number} 200个")
    wecom.drain()
    approval = fake.cards_to("cs_mgr")[-1]
    wecom.text("sales1", "顺达电器投诉FX-90风扇异响,50个")
    wecom.drain()
    draft = fake.cards_to("sales1")[-1]
    assert draft["main_title"]["title"] != qa_card["main_title"]["title"]
    return Forms(
        qa_valid=key_of(qa_card, "有效,指派部门"),
        draft_submit=key_of(draft, "提交"),
        approve=key_of(approval, "批准"),
        reject=key_of(approval, "驳回"),
    )


def rows_since(wecom: WeCom, table: str, before: Snapshot) -> list[dict[str, Any]]:
    """The rows added to ``table`` since ``before`` (JSON columns decoded: SQLite returns them as text)."""
    with wecom.kesu.engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(sa.text(f"SELECT * FROM {table} ORDER BY id"))]
    for row in rows:
        if isinstance(row.get("payload"), str):
            row["payload"] = json.loads(row["payload"])
    return rows[len(before[table]) :]


def button_text(wecom: WeCom, resp: Any) -> str:
    assert resp.status_code == 200, resp.text
    reply = wecom.reply(resp)
    assert reply.findtext("MsgType") == "update_button"
    return reply.findtext("Button/ReplaceName") or ""


def assert_refused_and_nothing_changed(wecom: WeCom, tapper: str, send: Any) -> str:
    """The tap answers empty, so the card keeps its buttons (a passive ``update_button`` would grey it); only the
    tapper is told why, in a short Chinese text; no form, approval, clock, counter or audit row changes. The text
    told."""
    before = snapshot(wecom.kesu.engine)
    resp = send()
    assert resp.status_code == 200 and resp.text == "", resp.text
    wecom.settle()
    diff = changed(before, snapshot(wecom.kesu.engine))
    assert set(diff) <= TAP_TABLES, diff
    told = rows_since(wecom, "outbox", before)
    assert told and {(m["recipient_kind"], m["recipient_id"]) for m in told} == {("user", tapper)}
    assert all(m["payload"].get("card") is None for m in told), told  # a text, never a card to act on
    assert all(m["status"] == "done" for m in rows_since(wecom, "inbox", before))
    text = str(told[-1]["payload"]["text"])
    assert re.search(r"[\u4e00-\u9fff]", text) and len(text) <= 80, text
    return text


ATTACKS = {
    # name: (tapper, which card's button, what the key is made of)
    "sales_takes_qas_step": ("sales2", "qa_valid"),
    "the_owner_takes_qas_step": ("sales1", "qa_valid"),
    "rd_submits_someone_elses_draft": ("rd1", "draft_submit"),
    "another_sales_submits_the_draft": ("sales2", "draft_submit"),
    "the_requester_approves_own_return": ("sales1", "approve"),
    "the_next_approver_approves_early": ("vp", "approve"),
    "an_outsider_rejects": ("wh1", "reject"),
}


@pytest.mark.parametrize("name", list(ATTACKS))
def test_a_tap_by_someone_who_may_not_act_is_refused_and_changes_nothing(wecom: WeCom, forms: Forms, name: str) -> None:
    tapper, button = ATTACKS[name]
    key = getattr(forms, button)
    assert_refused_and_nothing_changed(wecom, tapper, lambda: wecom.post(tap_xml(tapper, key)))


@pytest.mark.parametrize(
    "key",
    ["f9999v1|confirm|", "f1v99|valid|department:责任部门", "a9999s0|approve|comment:意见", "e9999s1|d1|", "zz9|x|"],
    ids=["no_such_form", "no_such_version", "no_such_approval", "no_such_8d", "no_such_card_kind"],
)
def test_a_tap_on_a_card_that_does_not_exist_is_refused(wecom: WeCom, forms: Forms, key: str) -> None:
    assert_refused_and_nothing_changed(wecom, "qa1", lambda: wecom.post(tap_xml("qa1", key)))


def test_a_tap_with_an_action_the_card_does_not_have_is_refused(wecom: WeCom, forms: Forms) -> None:
    card_id = forms.draft_submit.split("|")[0]
    key = f"{card_id}|delete_everything|"
    shown = assert_refused_and_nothing_changed(wecom, "sales1", lambda: wecom.post(tap_xml("sales1", key)))
    assert "delete_everything" in shown or "操作" in shown


def test_a_tap_by_a_user_id_not_in_the_org_stores_nothing(wecom: WeCom, forms: Forms) -> None:
    before = snapshot(wecom.kesu.engine)
    resp = wecom.post(tap_xml("mallory", forms.approve))
    wecom.settle()
    reply = wecom.reply(resp)
    assert reply.findtext("MsgType") == "text" and "联系管理员" in (reply.findtext("Content") or "")
    assert changed(before, snapshot(wecom.kesu.engine)) == {}


@pytest.mark.parametrize(
    "key", ["approve:42", "", "|||", "f1v2", "f1v2||"], ids=["foreign", "empty", "pipes", "bare", "no_action"]
)
def test_a_tap_on_a_button_kesu_never_made_stores_nothing(wecom: WeCom, forms: Forms, key: str) -> None:
    before = snapshot(wecom.kesu.engine)
    resp = wecom.post(tap_xml("qa1", key))
    wecom.settle()
    assert resp.status_code == 200 and resp.text == ""
    assert changed(before, snapshot(wecom.kesu.engine)) == {}


def test_a_tap_with_the_longest_key_and_task_id_wecom_allows_is_answered_not_a_server_error(
    wecom: WeCom, forms: Forms
) -> None:
    # EventKey up to 1024 bytes, TaskId up to 128: the redelivery key built from them must still fit the inbox.
    key = forms.draft_submit.split("|")[0] + "|cancel|" + ",".join(f"n{i}:标签" for i in range(90))
    assert 900 < len(key.encode()) <= 1024
    assert_refused_and_nothing_changed(wecom, "sales2", lambda: wecom.post(tap_xml("sales2", key, "t" * 128)))


def test_the_same_tap_delivered_twice_is_applied_once(wecom: WeCom, forms: Forms) -> None:
    wecom.text("sales2", "华为投诉P40支架颜色不一致,30个")
    wecom.drain()
    draft = wecom.fake.cards_to("sales2")[-1]
    body, query = wecom.envelope(tap_xml("sales2", key_of(draft, "提交"), draft["task_id"]))
    before = snapshot(wecom.kesu.engine)
    assert button_text(wecom, wecom.http.post("/wecom/callback", params=query, content=body)) == "已处理"
    wecom.settle()
    once = snapshot(wecom.kesu.engine)
    assert changed(before, once)["audit_log"] >= 1
    again = wecom.http.post("/wecom/callback", params=query, content=body)  # WeCom's retry, byte for byte
    wecom.settle()
    assert again.status_code == 200
    assert changed(once, snapshot(wecom.kesu.engine)) == {}
