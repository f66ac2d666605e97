"""Card taps on Feishu (``card.action.trigger``) that must not work: by someone who is not the assignee or
approver, on other people's forms, on cards that do not exist, with an action no card has, by an open_id not in the
org. Each is encrypted and signed exactly as Feishu sends it, so what is checked is Kesu's own rules: an error toast
with a short Chinese reason, no card to act on, only the tapper told, and no form, approval, clock, counter or audit
row changed."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa

from tests.attack.conftest import Snapshot, changed, snapshot
from tests.feishu import fake as f
from tests.feishu.conftest import FeishuBot, card_id, card_of, card_text, to

TAP_TABLES = {"inbox", "outbox"}  # a refused tap is kept (marked done) and its refusal sent to the tapper


@dataclass(frozen=True)
class Forms:
    """Card ids the attacks aim at: QA's card of sales1's submitted form, sales1's own draft, cs_mgr's approval
    of sales1's return request."""

    qa_card: str
    draft: str
    approval: str


def _one_card(out: list[dict[str, Any]], receive_id: str) -> dict[str, Any]:
    cards = [m for m in to(out, receive_id) if m["msg_type"] == "interactive"]
    assert cards, out
    return card_of(cards[-1])


@pytest.fixture(scope="module")
def forms(feishu: FeishuBot) -> Forms:
    feishu.say("ou_sales1", "明辉电子投诉X200外壳划伤,200个,急")
    draft1 = card_id(_one_card(feishu.deliver(), "ou_sales1"))
    assert feishu.tap("ou_sales1", draft1, "confirm", message_id="om_d1")["toast"]["type"] == "success"
    qa = _one_card(feishu.deliver(), "ou_qa1")
    number = re.search(r"KS-\d{6}-\d{4}", card_text(qa))
    assert number is not None
    feishu.say("ou_sales1", f"申请退货 {number.group(0)} 200个")
    approval = card_id(_one_card(feishu.deliver(), "ou_cs_mgr"))
    feishu.say("ou_sales1", "顺达电器投诉FX-90风扇异响,50个")
    draft2 = card_id(_one_card(feishu.deliver(), "ou_sales1"))
    assert draft2 != draft1
    return Forms(qa_card=card_id(qa), draft=draft2, approval=approval)


def rows_since(feishu: FeishuBot, table: str, before: Snapshot) -> list[dict[str, Any]]:
    """The rows added to ``table`` since ``before`` (JSON columns decoded: SQLite returns them as text)."""
    with feishu.kesu.engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(sa.text(f"SELECT * FROM {table} ORDER BY id"))]
    for row in rows:
        if isinstance(row.get("payload"), str):
            row["payload"] = json.loads(row["payload"])
    return rows[len(before[table]) :]


def assert_refused_and_nothing_changed(feishu: FeishuBot, open_id: str, card: str, action: str, **form: str) -> str:
    """An error toast with a short Chinese reason and no card; only the tapper is told; nothing else changes."""
    before = snapshot(feishu.kesu.engine)
    answer = feishu.tap(open_id, card, action, message_id="om_tapped", **form)
    toast = answer["toast"]
    assert toast["type"] == "error" and "card" not in answer, answer
    assert re.search(r"[\u4e00-\u9fff]", toast["content"]) and len(toast["content"]) <= 60, toast
    diff = changed(before, snapshot(feishu.kesu.engine))
    assert set(diff) <= TAP_TABLES, diff
    told = rows_since(feishu, "outbox", before)
    tapper = open_id.removeprefix("ou_")
    assert told and {(m["recipient_kind"], m["recipient_id"]) for m in told} == {("user", tapper)}
    assert all(m["payload"].get("card") is None for m in told), told
    return str(toast["content"])


ATTACKS = {
    # name: (tapper, which card, action, form values)
    "sales_takes_qas_step": ("ou_sales2", "qa_card", "valid", {"department": "rd"}),
    "the_owner_takes_qas_step": ("ou_sales1", "qa_card", "valid", {"department": "rd"}),
    "qa_calls_a_form_customer_caused": ("ou_rd1", "qa_card", "customer_caused", {"reason": "x"}),
    "rd_submits_someone_elses_draft": ("ou_rd1", "draft", "confirm", {}),
    "another_sales_cancels_the_draft": ("ou_sales2", "draft", "cancel", {}),
    "the_requester_approves_own_return": ("ou_sales1", "approval", "approve", {}),
    "the_next_approver_approves_early": ("ou_vp", "approval", "approve", {}),
    "an_outsider_rejects": ("ou_wh1", "approval", "reject", {"comment": "不行"}),
    "an_outsider_hands_the_approval_on": ("ou_wh1", "approval", "delegate", {"deputy": "wh1"}),
}


@pytest.mark.parametrize("name", list(ATTACKS))
def test_a_tap_by_someone_who_may_not_act_is_refused_and_changes_nothing(
    feishu: FeishuBot, forms: Forms, name: str
) -> None:
    tapper, card, action, form = ATTACKS[name]
    assert_refused_and_nothing_changed(feishu, tapper, getattr(forms, card), action, **form)


@pytest.mark.parametrize(
    ("card", "action"),
    [("f9999v1", "confirm"), ("f1v99", "valid"), ("a9999s0", "approve"), ("e9999s1", "d1"), ("zz9", "x")],
    ids=["no_such_form", "no_such_version", "no_such_approval", "no_such_8d", "no_such_card_kind"],
)
def test_a_tap_on_a_card_that_does_not_exist_is_refused(
    feishu: FeishuBot, forms: Forms, card: str, action: str
) -> None:
    assert_refused_and_nothing_changed(feishu, "ou_qa1", card, action)


def test_a_tap_with_an_action_the_card_does_not_have_is_refused(feishu: FeishuBot, forms: Forms) -> None:
    shown = assert_refused_and_nothing_changed(feishu, "ou_sales1", forms.draft, "delete_everything")
    assert "delete_everything" in shown


def test_a_tap_by_an_open_id_not_in_the_org_stores_nothing(feishu: FeishuBot, forms: Forms) -> None:
    before = snapshot(feishu.kesu.engine)
    answer = feishu.tap("ou_mallory", forms.approval, "approve", message_id="om_tapped")
    assert answer == {"toast": {"type": "error", "content": "请联系管理员把您加入 Kesu"}}
    assert changed(before, snapshot(feishu.kesu.engine)) == {}


@pytest.mark.parametrize(
    "value",
    [{"card": "f1v2"}, {"action": "valid"}, {"card": 2, "action": "valid"}, {"card": "", "action": "valid"}, None],
    ids=["no_action", "no_card", "card_not_text", "card_empty", "no_value"],
)
def test_a_tap_on_a_button_kesu_never_made_stores_nothing(feishu: FeishuBot, forms: Forms, value: Any) -> None:
    payload = f.card_event("ou_qa1", "f1v2", "valid")
    payload["event"]["action"]["value"] = value
    before = snapshot(feishu.kesu.engine)
    resp = feishu.post("/feishu/card", payload)
    assert resp.status_code == 200 and resp.json() == {}
    assert changed(before, snapshot(feishu.kesu.engine)) == {}


def test_the_same_tap_delivered_twice_is_applied_once(feishu: FeishuBot, forms: Forms) -> None:
    feishu.say("ou_sales2", "华为投诉P40支架颜色不一致,30个")
    draft = card_id(_one_card(feishu.deliver(), "ou_sales2"))
    body, headers = f.signed(f.card_event("ou_sales2", draft, "confirm", message_id="om_s2"))
    before = snapshot(feishu.kesu.engine)
    first = feishu.http.post("/feishu/card", content=body, headers=headers)
    feishu.settle()
    assert first.json()["toast"]["type"] == "success"
    once = snapshot(feishu.kesu.engine)
    assert changed(before, once)["audit_log"] >= 1
    again = feishu.http.post("/feishu/card", content=body, headers=headers)  # the same request, within 5 minutes
    feishu.settle()
    assert again.status_code == 200 and again.json()["toast"]["content"] == "已处理"
    assert changed(once, snapshot(feishu.kesu.engine)) == {}
