"""Order review (PROCEDURE §3) through `kesu say` / `kesu click` on a fixed clock."""

from __future__ import annotations

import sqlalchemy as sa

from storage.db import make_engine
from tests.e2e.chat import LocalChat, Message, actions, card_of, field, only, to

REVIEWERS = ("rd1", "qa1", "prod1", "buyer1", "fin1")
NOTICE_TO = ("qa1", "prod1", "wh1")
SPECIAL = "合同评审 美的 P40 5000个 12月20日交货 要求RoHS"


def _rows(db_url: str, sql: str) -> list[tuple[object, ...]]:
    engine = make_engine(db_url)
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(sa.text(sql)).all()]
    engine.dispose()
    return rows


def _submit(bot: LocalChat, text: str = SPECIAL, *, now: str = "2026-11-23T09:00") -> str:
    """Sales submits a non-standard order; every reviewer gets the same card. Returns its id."""
    out = bot.say("sales1", text, now=now)
    card = card_of(only(out, user="rd1"))
    assert card["id"].startswith("a") and card["id"].endswith("s0")
    for reviewer in REVIEWERS:
        mine = card_of(only(out, user=reviewer))
        assert mine["id"] == card["id"] and actions(mine) == ["approve", "reject", "delegate"]
    mine = only(out, user="sales1")
    assert actions(card_of(mine)) == ["withdraw"] and "等待「联合评审」" in mine["text"]
    return str(card["id"])


def _notices(out: list[Message]) -> list[dict[str, object]]:
    return [m["card"] for m in out if m["card"] and str(m["card"]["title"]).startswith("生产通知书")]


def test_a_standard_order_is_released_at_once(db_url: str) -> None:
    bot = LocalChat(db_url)
    out = bot.say("sales1", "合同评审 美的 P40 5000个 12月20日交货", now="2026-11-23T09:00")
    for person in NOTICE_TO:
        notice = card_of(only(out, user=person))
        assert notice["title"] == "生产通知书 OR-202611-0001" and actions(notice) == []
        assert (field(notice, "客户"), field(notice, "产品"), field(notice, "数量"), field(notice, "交期")) == (
            "美的集团",
            "P40",
            "5000",
            "2026-12-20",
        )
    mine = only(out, user="sales1")
    assert "标准品,已直接下发生产通知书" in mine["text"] and actions(card_of(mine)) == ["change"]
    assert all(to(out, user=r) == [] for r in ("rd1", "buyer1", "fin1"))  # no review
    assert _rows(db_url, "SELECT action FROM audit_log WHERE entity = 'order'") == [("release",)]

    # Still standard after a change of quantity: a new notice at once, replacing the old one.
    out = bot.click("sales1", card_of(mine)["id"], "change", now="2026-11-24T09:00", quantity="6000")
    for person in NOTICE_TO:
        notice = only(out, user=person)
        assert "原生产通知书作废" in notice["text"] and field(card_of(notice), "数量") == "6000"
    assert field(card_of(only(out, user="sales1")), "评审轮次") == "第 2 轮"


def test_a_submission_lacking_fields_or_from_a_non_sales_person_is_refused(db_url: str) -> None:
    bot = LocalChat(db_url)
    assert "还缺:产品、数量" in only(bot.say("sales1", "合同评审 美的", now="2026-11-23T09:00"), user="sales1")["text"]
    refused = only(bot.say("qa1", SPECIAL, now="2026-11-23T09:01"), user="qa1")["text"]
    assert "只有业务员" in refused
    assert _rows(db_url, "SELECT count(*) FROM record") == [(0,)]


def test_all_five_agree_and_the_production_notice_goes_out(db_url: str) -> None:
    bot = LocalChat(db_url)
    card = _submit(bot)

    # Outsiders may not vote: another salesperson, the warehouse.
    for outsider in ("sales2", "wh1"):
        out = bot.click(outsider, card, "approve", now="2026-11-23T09:30")
        assert "不是这一步的审批人" in only(out, user=outsider)["text"]

    # Each partial vote tells the tapper to wait; nobody else hears of it.
    for i, reviewer in enumerate(REVIEWERS[:-1]):
        out = bot.click(reviewer, card, "approve", now=f"2026-11-23T1{i}:00")
        assert only(out, user=reviewer)["text"] == "已批准,等待其他人审批。" and len(out) == 1

    out = bot.click("fin1", card, "approve", now="2026-11-23T15:00", comment="按月结60天")
    # Every copy of the card shows the outcome: the five reviewers and the requester.
    for person in (*REVIEWERS, "sales1"):
        outcome = [m["card"] for m in to(out, user=person) if m["card"] and m["card"]["id"] == card]
        assert len(outcome) == 1 and outcome[0]["title"] == "合同评审 OR-202611-0001:已批准"
        assert actions(outcome[0]) == []
    notices = _notices(out)
    assert len(notices) == len(NOTICE_TO)
    for person in NOTICE_TO:
        notice = [m["card"] for m in to(out, user=person) if m["card"] and m["card"]["title"].startswith("生产通知书")]
        assert len(notice) == 1 and field(notice[0], "特殊要求") == "RoHS"
        assert field(notice[0], "评审") == "合同评审通过(第 1 轮)"
    told = [m for m in to(out, user="sales1") if m["text"]]
    assert len(told) == 1 and "评审通过,已下发生产通知书" in told[0]["text"]
    assert field(card_of(told[0]), "状态") == "已评审通过,已发生产通知书"

    # A tap after the decision is refused as stale and changes nothing.
    stale = only(bot.click("rd1", card, "reject", now="2026-11-23T16:00", comment="x"), user="rd1")["text"]
    assert "已失效" in stale and "褚红" in stale
    assert _rows(db_url, "SELECT action FROM audit_log WHERE entity = 'order' ORDER BY id") == [
        ("submit",),
        ("release",),
    ]


def test_one_disagreement_returns_the_order_to_sales_with_the_reason(db_url: str) -> None:
    bot = LocalChat(db_url)
    card = _submit(bot)
    bot.click("rd1", card, "approve", now="2026-11-23T09:30")

    # A rejection needs a reason; without one nothing changes.
    refused = bot.click("prod1", card, "reject", now="2026-11-23T10:00")
    assert "驳回需要填写原因" in only(refused, user="prod1")["text"] and len(refused) == 1
    assert only(bot.click("qa1", card, "approve", now="2026-11-23T10:05"), user="qa1")["text"].startswith("已批准")

    out = bot.click("prod1", card, "reject", now="2026-11-23T10:30", comment="产能已满,12月20日交不了")
    for person in (*REVIEWERS, "sales1"):
        outcome = [m["card"] for m in to(out, user=person) if m["card"] and m["card"]["id"] == card]
        assert len(outcome) == 1 and outcome[0]["title"].endswith("已驳回")
    returned = [m for m in to(out, user="sales1") if m["text"]]
    assert len(returned) == 1
    assert "评审未通过" in returned[0]["text"] and "吴工:产能已满,12月20日交不了" in returned[0]["text"]
    change = card_of(returned[0])
    assert actions(change) == ["change"] and field(change, "状态") == "评审未通过,退回业务员"
    assert {i["name"] for i in change["inputs"]} == {"quantity", "delivery", "requirements"}
    assert _notices(out) == []

    # The remaining reviewers' cards are stale now.
    assert "已失效" in only(bot.click("fin1", card, "approve", now="2026-11-23T11:00"), user="fin1")["text"]

    # Sales moves the date: the review runs again, round 2, with a new approval.
    out = bot.click("sales1", change["id"], "change", now="2026-11-24T09:00", delivery="2027-01-20")
    again = card_of(only(out, user="prod1"))
    assert again["id"] != card and again["id"].endswith("s0")
    assert field(again, "评审轮次") == "第 2 轮" and field(again, "交期") == "2027-01-20"
    assert all(card_of(only(out, user=r))["id"] == again["id"] for r in REVIEWERS)


def test_the_requester_may_withdraw_before_the_decision(db_url: str) -> None:
    bot = LocalChat(db_url)
    card = _submit(bot)
    assert "只有申请人" in only(bot.click("rd1", card, "withdraw", now="2026-11-23T09:10"), user="rd1")["text"]
    bot.click("qa1", card, "approve", now="2026-11-23T09:20")

    out = bot.click("sales1", card, "withdraw", now="2026-11-23T09:30")
    for person in REVIEWERS:
        assert card_of(only(out, user=person))["title"].endswith("已撤回")
    assert any("合同评审已撤回" in (m["text"] or "") for m in to(out, user="sales1"))
    assert _notices(out) == []
    assert "已失效" in only(bot.click("fin1", card, "approve", now="2026-11-23T10:00"), user="fin1")["text"]
    assert _rows(db_url, "SELECT state FROM record WHERE kind = 'order'") == [("withdrawn",)]


def test_a_reviewer_hands_the_vote_to_a_deputy(db_url: str) -> None:
    bot = LocalChat(db_url)
    card = _submit(bot)
    out = bot.click("fin1", card, "delegate", now="2026-11-23T09:10", deputy="gm")
    assert card_of(only(out, user="gm"))["id"] == card and "褚红" in only(out, user="gm")["text"]
    assert "孙总" in only(out, user="fin1")["text"]

    for reviewer in REVIEWERS[:-1]:
        bot.click(reviewer, card, "approve", now="2026-11-23T10:00")
    out = bot.click("gm", card, "approve", now="2026-11-23T11:00")
    assert len(_notices(out)) == len(NOTICE_TO)
    notes = _rows(db_url, "SELECT actor, note FROM audit_log WHERE entity = 'approval' AND action = 'approve'")
    assert ("gm", "代褚红审批") in notes


def test_a_change_to_a_released_order_repeats_the_review(db_url: str) -> None:
    bot = LocalChat(db_url)
    card = _submit(bot)
    for reviewer in REVIEWERS:
        out = bot.click(reviewer, card, "approve", now="2026-11-23T10:00")
    change = card_of(next(m for m in to(out, user="sales1") if m["text"]))
    assert field(change, "评审轮次") == "第 1 轮"

    # Only the requester may change it.
    assert (
        "只有提交人"
        in only(bot.click("sales2", change["id"], "change", now="2026-11-24T08:00", quantity="1"), user="sales2")[
            "text"
        ]
    )

    out = bot.click("sales1", change["id"], "change", now="2026-11-24T09:00", quantity="8000")
    again = card_of(only(out, user="rd1"))
    assert again["id"] != card
    assert (field(again, "数量"), field(again, "评审轮次")) == ("8000", "第 2 轮")
    for reviewer in REVIEWERS:
        assert [m["card"]["id"] for m in to(out, user=reviewer) if m["card"]] == [again["id"]]
    for person in NOTICE_TO:  # production, QA and the warehouse hold the old notice
        assert any("重新评审中,原生产通知书暂停执行" in (m["text"] or "") for m in to(out, user=person))

    # The old change card is stale; the new review runs like the first.
    stale = only(bot.click("sales1", change["id"], "change", now="2026-11-24T09:05", quantity="9000"), user="sales1")
    assert "已失效" in stale["text"]
    for reviewer in REVIEWERS:
        out = bot.click(reviewer, again["id"], "approve", now="2026-11-24T10:00")
    notice = card_of(only(out, user="wh1"))
    assert field(notice, "数量") == "8000" and field(notice, "评审") == "合同评审通过(第 2 轮)"
    assert _rows(db_url, "SELECT action FROM audit_log WHERE entity = 'order' ORDER BY id") == [
        ("submit",),
        ("release",),
        ("change",),
        ("release",),
    ]


def test_a_standard_order_changed_with_a_requirement_goes_to_review(db_url: str) -> None:
    bot = LocalChat(db_url)
    out = bot.say("sales1", "订单评审:格力,TX-500,2000台,交期2026-12-28", now="2026-11-23T09:00")
    change = card_of(only(out, user="sales1"))
    out = bot.click("sales1", change["id"], "change", now="2026-11-23T10:00", requirements="耐压3kV")
    review = card_of(only(out, user="buyer1"))
    assert field(review, "特殊要求") == "耐压3kV" and field(review, "评审轮次") == "第 2 轮"
