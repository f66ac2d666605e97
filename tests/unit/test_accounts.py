"""Who is who on WeCom and Feishu lives in the bot (bot/accounts.py), built from kesu.toml's people and chats;
the outbox writer picks each recipient's channel from it."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.accounts import Accounts, ChatAccounts, PersonAccounts
from bot.config import demo_config
from bot.notify.outbox import channel_router, enqueue
from core.messages import OutboundMessage, Recipient
from core.org import Chat, ChatPurpose, Org, Person, Role
from tests.fakes import FakeUnitOfWork

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
ORG = Org(
    people=(
        Person("both", "张伟", frozenset({Role.SALES})),
        Person("fs", "李娜", frozenset({Role.SALES})),
        Person("plain", "王芳", frozenset({Role.QA})),
    ),
    departments=(),
    chats=(
        Chat("qa", "品质群", ChatPurpose.QA),
        Chat("mgmt", "管理层群", ChatPurpose.MGMT),
        Chat("sales", "销售群", ChatPurpose.SALES),
    ),
)
ACCOUNTS = Accounts(
    org=ORG,
    people=(PersonAccounts("both", wecom="zhangwei", feishu="ou_both"), PersonAccounts("fs", feishu="ou_fs")),
    chats=(
        ChatAccounts("qa", wecom="wrQA"),
        ChatAccounts("mgmt", wecom_webhook="hook"),
        ChatAccounts("sales", feishu="oc_s"),
    ),
)


def test_a_wecom_userid_defaults_to_the_person_id_and_feishu_needs_an_open_id() -> None:
    assert [ACCOUNTS.account("wecom", p) for p in ("both", "fs", "plain")] == ["zhangwei", "fs", "plain"]
    assert [ACCOUNTS.account("feishu", p) for p in ("both", "fs", "plain")] == ["ou_both", "ou_fs", None]
    assert ACCOUNTS.account("local", "plain") == "plain"
    assert ACCOUNTS.account("wecom", "gone") is None  # not (or no longer) configured


def test_a_platform_user_id_finds_its_person_and_an_unknown_one_nobody() -> None:
    both = ACCOUNTS.person_by_account("wecom", "zhangwei")
    assert both is not None and both.id == "both"
    fs = ACCOUNTS.person_by_account("feishu", "ou_fs")
    assert fs is not None and fs.name == "李娜"
    assert ACCOUNTS.person_by_account("wecom", "both") is None  # a configured userid replaces the person id
    assert ACCOUNTS.person_by_account("feishu", "ou_nobody") is None
    assert {a: p.id for a, p in ACCOUNTS.people_on("feishu").items()} == {"ou_both": "both", "ou_fs": "fs"}
    assert ACCOUNTS.chats_on("feishu") == {"oc_s": "sales"}
    assert ACCOUNTS.chats_on("wecom") == {"wrQA": "qa"}  # a robot webhook is not a chat id


def test_the_demo_config_keeps_its_feishu_ids_in_the_accounts_and_none_in_the_org() -> None:
    config = demo_config()
    assert config.accounts.org is config.org
    assert config.accounts.account("feishu", "sales1") == "ou_sales1"
    chat = config.accounts.chat("qa")
    assert chat is not None and chat.feishu == "oc_qa"
    assert not hasattr(config.org.people[0], "feishu") and not hasattr(config.org.chats[0], "wecom")


def test_wecom_goes_first_then_feishu_then_the_local_channel() -> None:
    both = channel_router(ACCOUNTS, {"wecom", "feishu"})
    feishu_only = channel_router(ACCOUNTS, {"feishu"})
    wecom_only = channel_router(ACCOUNTS, {"wecom"})
    users = ("both", "fs", "plain", "gone")
    assert [both(Recipient.user(p)) for p in users] == ["wecom", "feishu", "wecom", "local"]
    assert [feishu_only(Recipient.user(p)) for p in users] == ["feishu", "feishu", "local", "local"]
    assert [wecom_only(Recipient.user(p)) for p in users] == ["wecom", "wecom", "wecom", "local"]
    chats = ("qa", "mgmt", "sales", "gone")
    assert [both(Recipient.chat(c)) for c in chats] == ["wecom", "wecom", "feishu", "local"]
    assert [channel_router(ACCOUNTS, set())(Recipient.chat(c)) for c in chats] == ["local"] * 4


def test_the_outbox_writer_queues_each_message_on_its_recipients_channel_once() -> None:
    uow = FakeUnitOfWork()
    route = channel_router(ACCOUNTS, {"feishu"})
    messages = [
        OutboundMessage(Recipient.user("fs"), {"text": "a", "card": None}, "k1"),
        OutboundMessage(Recipient.chat("qa"), {"text": "b", "card": None}, "k2"),
    ]
    with uow:
        assert enqueue(uow, messages, channel_for=route, now=NOW) == 2
        assert enqueue(uow, messages, channel_for=route, now=NOW) == 0  # a replay writes nothing
        uow.commit()
    rows = uow.fake_outbox.rows()
    assert [(r.message, r.channel, r.created_at) for r in rows] == [
        (messages[0], "feishu", NOW),
        (messages[1], "local", NOW),
    ]
