"""Local channel: a delivered message → the JSON line `kesu say` prints, or text for `kesu chat`."""

from __future__ import annotations

from typing import Any

from core.messages import Delivery


def to_json(d: Delivery) -> dict[str, Any]:
    """``{"to": {"user"|"chat": id}, "text": …, "card": …}``, plus ``image`` / ``file`` (a stored media id) and
    ``file_name`` for an attachment (a chart, a report)."""
    out = {"to": {d.recipient.kind.value: d.recipient.id}, "text": d.payload.get("text"), "card": d.payload.get("card")}
    for key in ("image", "file", "file_name"):
        if d.payload.get(key):
            out[key] = d.payload[key]
    return out


def to_text(message: dict[str, Any]) -> str:
    """A message as a phone-width block of text, actions numbered from 1."""
    lines: list[str] = []
    if message.get("text"):
        lines.append(str(message["text"]))
    if message.get("image"):
        lines.append(f"[图片 {message['image']}]")
    if message.get("file"):
        lines.append(f"[文件 {message.get('file_name') or message['file']}]")
    card = message.get("card")
    if card:
        lines.append(f"┌─ {card['title']}  [{card['id']}]")
        lines += [f"│ {f['label']}:{f['value']}" for f in card["fields"]]
        if card["inputs"]:
            lines.append("│ 可填:" + "、".join(i["label"] + ("*" if i["required"] else "") for i in card["inputs"]))
        if card["actions"]:
            lines.append("│ " + "  ".join(f"[{n}] {a['label']}" for n, a in enumerate(card["actions"], 1)))
        lines.append("└─")
    return "\n".join(lines)
