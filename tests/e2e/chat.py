"""An errbot-style harness: drive `kesu say/click/tick` in-process and read back the JSON lines."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from typer.testing import CliRunner

from bot.main import app

Message = dict[str, Any]


@dataclass
class LocalChat:
    """Runs the real CLI commands against one database; each call returns the delivered messages."""

    db_url: str

    def _run(self, *args: str) -> list[Message]:
        env = {"KESU_DATABASE_URL": self.db_url, "KESU_CONFIG": ""}
        result = CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]

    def say(self, user: str, text: str, *, now: str, chat: str | None = None) -> list[Message]:
        """`kesu say --as USER [--chat CHAT] --now NOW -- TEXT` (a text may start with "-")."""
        return self._run("say", "--as", user, *(["--chat", chat] if chat else []), "--now", now, "--", text)

    def click(self, user: str, card: str, action: str, *, now: str, **values: str) -> list[Message]:
        """`kesu click --as USER CARD ACTION --set k=v … --now NOW`."""
        sets = [arg for k, v in values.items() for arg in ("--set", f"{k}={v}")]
        return self._run("click", "--as", user, card, action, *sets, "--now", now)

    def tick(self, *, now: str) -> list[Message]:
        """`kesu tick --now NOW`."""
        return self._run("tick", "--now", now)


def to(messages: list[Message], **recipient: str) -> list[Message]:
    """The messages addressed to one user (to(msgs, user="qa1")) or chat (to(msgs, chat="qa"))."""
    return [m for m in messages if m["to"] == recipient]


def only(messages: list[Message], **recipient: str) -> Message:
    """The single message to that recipient."""
    found = to(messages, **recipient)
    assert len(found) == 1, f"expected one message to {recipient}, got {found}"
    return found[0]


def card_of(message: Message) -> dict[str, Any]:
    """The card in a message (it must have one)."""
    assert message["card"] is not None, message
    card: dict[str, Any] = message["card"]
    return card


def field(card: dict[str, Any], label: str) -> str:
    """The value of the card field with this label."""
    values = [f["value"] for f in card["fields"] if f["label"] == label]
    assert values, f"no field {label!r} in {card['fields']}"
    return str(values[0])


def actions(card: dict[str, Any]) -> list[str]:
    """The action ids of a card."""
    return [a["id"] for a in card["actions"]]
