"""The one outbox writer: every message to people enters the outbox here, in the caller's unit of work, through
the channel (platform) its recipient is reached on."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from datetime import datetime

from bot.accounts import FEISHU, WECOM, Accounts
from core.messages import OutboundMessage, Recipient, RecipientKind
from core.ports import UnitOfWork

LOCAL = "local"  # the channel of people and chats on no platform that is on (bot/local)
ChannelFor = Callable[[Recipient], str]


def channel_router(accounts: Accounts, platforms: Collection[str]) -> ChannelFor:
    """Which channel a recipient's messages go through: WeCom or Feishu when that platform is on and the
    person or chat is on it (WeCom first when both are), else the local channel."""
    wecom, feishu = WECOM in platforms, FEISHU in platforms

    def choose(to: Recipient) -> str:
        if to.kind is RecipientKind.CHAT:
            chat = accounts.chat(to.id)
            if chat and wecom and (chat.wecom or chat.wecom_webhook):
                return WECOM
            if chat and feishu and chat.feishu:
                return FEISHU
            return LOCAL
        person = accounts.person(to.id)
        if person and wecom and (person.wecom or not (feishu and person.feishu)):
            return WECOM
        if person and feishu and person.feishu:
            return FEISHU
        return LOCAL

    return choose


def enqueue(uow: UnitOfWork, messages: Iterable[OutboundMessage], *, channel_for: ChannelFor, now: datetime) -> int:
    """Write ``messages`` to the outbox in ``uow`` (committed with the caller's change), each through its
    recipient's channel. A key already in the outbox is skipped (a replay sends nothing twice); returns how
    many were new."""
    return sum(uow.outbox.add(msg, channel=channel_for(msg.recipient), now=now) for msg in messages)
