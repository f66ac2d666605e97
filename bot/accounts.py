"""Who is who on each messaging platform: the platform ids of the org's people and group chats (kesu.toml's
``wecom``, ``wecom_webhook`` and ``feishu`` keys). Core knows people and chats by their config ids only; the
adapters, their senders and the outbox's channel choice translate through this table."""

from __future__ import annotations

from dataclasses import dataclass, field

from core.org import Org, Person

WECOM = "wecom"
FEISHU = "feishu"


@dataclass(frozen=True)
class PersonAccounts:
    """A person's ids on the platforms (``id`` is the config id)."""

    id: str
    wecom: str | None = None  # WeCom userid (defaults to the person id)
    feishu: str | None = None  # Feishu open_id

    def on(self, platform: str) -> str | None:
        """The person's id on ``platform``: the WeCom userid defaults to the person id; a platform without
        accounts (the local channel) uses the person id."""
        if platform == WECOM:
            return self.wecom or self.id
        if platform == FEISHU:
            return self.feishu
        return self.id


@dataclass(frozen=True)
class ChatAccounts:
    """A group chat's ids on the platforms (``id`` is the config id)."""

    id: str
    wecom: str | None = None  # appchat chatid of a group the app created
    wecom_webhook: str | None = None  # group-robot webhook key of an existing group
    feishu: str | None = None  # Feishu chat_id

    def on(self, platform: str) -> str | None:
        """The chat's id on ``platform`` (on WeCom, the app's group chat: a robot webhook is not a chat id)."""
        return {WECOM: self.wecom, FEISHU: self.feishu}.get(platform)


@dataclass(frozen=True)
class Accounts:
    """The org and its people's and chats' platform ids, one entry per configured person and chat."""

    org: Org
    people: tuple[PersonAccounts, ...] = ()
    chats: tuple[ChatAccounts, ...] = ()
    _people: dict[str, PersonAccounts] = field(init=False, repr=False, compare=False)
    _chats: dict[str, ChatAccounts] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Every configured person and chat has an entry (a person without accounts is still on WeCom by id).
        people = {p.id: PersonAccounts(p.id) for p in self.org.people} | {p.id: p for p in self.people}
        chats = {c.id: ChatAccounts(c.id) for c in self.org.chats} | {c.id: c for c in self.chats}
        object.__setattr__(self, "_people", {pid: a for pid, a in people.items() if self.org.person(pid)})
        object.__setattr__(self, "_chats", {cid: a for cid, a in chats.items() if self.org.chat(cid)})

    def person(self, person_id: str) -> PersonAccounts | None:
        """A configured person's accounts, or None for someone not (or no longer) configured."""
        return self._people.get(person_id)

    def chat(self, chat_id: str) -> ChatAccounts | None:
        """A configured group chat's ids, or None."""
        return self._chats.get(chat_id)

    def account(self, platform: str, person_id: str) -> str | None:
        """A person's id on ``platform`` (WeCom userid defaults to the person id); None when unknown."""
        accounts = self.person(person_id)
        return accounts.on(platform) if accounts else None

    def person_by_account(self, platform: str, account: str) -> Person | None:
        """The person behind a platform user id, or None (unknown users are told to ask an admin)."""
        for p in self.org.people:
            if self.account(platform, p.id) == account:
                return p
        return None

    def people_on(self, platform: str) -> dict[str, Person]:
        """Everyone with an id on ``platform``, by that id (the first configured person when two share one)."""
        found: dict[str, Person] = {}
        for p in self.org.people:
            account = self.account(platform, p.id)
            if account:
                found.setdefault(account, p)
        return found

    def chats_on(self, platform: str) -> dict[str, str]:
        """The config id of every group chat with an id on ``platform``, by that id."""
        return {chat_id: c.id for c in self._chats.values() if (chat_id := c.on(platform))}
