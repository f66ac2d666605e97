"""Neutral outbox payloads → WeCom message bodies (text, markdown, button_interaction template cards).

A card button's ``key`` carries what the click needs: ``card_id|action|name:label,…`` (the input names tell
the adapter which values the person may type in a reply, because template cards carry no text inputs).
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

MAX_BUTTONS = 6
MAX_HORIZONTAL = 6
KEY_SEP = "|"
REPLY_HINT = "需填写时:点按钮后直接回复文字,每行一项,如「责任部门:研发部」"
# An invisible character put after a markup character of what people typed, so WeCom shows the characters
# instead of running them (WeCom documents no escape syntax: no backslash escapes or entities to rely on).
_BREAK = "\u200b"
_LINE_MARKUP = ("#", ">")  # a heading or a quote when a line starts with it
_NO_BACKTICK = "ˋ"  # a code span cannot be broken by an invisible character: the look-alike U+02CB instead


def button_key(card_id: str, action: str, inputs: list[str]) -> str:
    """What comes back as EventKey when the button is tapped."""
    return KEY_SEP.join((card_id, action, ",".join(inputs)))


def parse_key(key: str) -> tuple[str, str, tuple[str, ...]] | None:
    """``(card_id, action, input names)`` from a button key, or None when it is not ours."""
    parts = key.split(KEY_SEP)
    if len(parts) != 3 or not parts[0] or not parts[1]:
        return None
    return parts[0], parts[1], tuple(n for n in parts[2].split(",") if n)


def task_id(card_id: str, delivery_id: int, salt: str) -> str:
    """One task id per outbox delivery, the same on every attempt, so a re-send is the same request and WeCom's
    duplicate check drops it. WeCom refuses a task id used before (only [0-9A-Za-z_-@], ≤ 128 bytes): ``salt``
    (the outbox key and creation time) keeps ids apart when a new database counts delivery ids from 1 again."""
    safe = re.sub(r"[^0-9A-Za-z_\-@]", "_", card_id)[:60]
    digest = hashlib.sha256(f"{delivery_id}|{salt}".encode()).hexdigest()[:12]
    return f"{safe}-{delivery_id}-{digest}"


def plain(text: str) -> str:
    """Text for a WeCom text message: an app's text message runs ``<a href=…>`` links, so no ``<`` of what
    people typed opens a tag (and no ``&lt;`` turns into one)."""
    return text.replace("&", "&" + _BREAK).replace("<", "<" + _BREAK)


def escape_markdown(text: str, *, one_line: bool = False) -> str:
    """What people typed, for WeCom markdown: shown as typed, never a link, a ``<font>``/``<@mention>`` tag, bold,
    code, a heading or a quote. ``one_line`` folds line breaks (a field is one line of the card)."""
    if one_line:
        text = " ".join(text.splitlines())
    out = text.replace("`", _NO_BACKTICK)
    for ch in "&<]*~":
        out = out.replace(ch, ch + _BREAK)
    lines = out.splitlines(keepends=True)  # \r alone ends a line too
    return "".join(_BREAK + line if line.lstrip().startswith(_LINE_MARKUP) else line for line in lines)


def text_message(text: str) -> dict[str, Any]:
    """A plain text message body."""
    return {"msgtype": "text", "text": {"content": plain(text)}}


def markdown(payload: dict[str, Any]) -> str:
    """Text and card as WeCom markdown (groups and cards without buttons): Kesu's own bold title, quoted fields
    and grey hint around what people typed, escaped."""
    lines: list[str] = []
    if payload.get("text"):
        lines.append(escape_markdown(str(payload["text"])))
    card = payload.get("card")
    if card:
        lines.append(f"**{escape_markdown(str(card['title']), one_line=True)}**")
        lines += [
            f"> {escape_markdown(str(f['label']), one_line=True)}:{escape_markdown(str(f['value']), one_line=True)}"
            for f in card["fields"]
        ]
        if card.get("actions"):
            lines.append('<font color="comment">请在 Kesu 应用消息中处理</font>')
    return "\n".join(lines)


def markdown_message(payload: dict[str, Any]) -> dict[str, Any]:
    """A markdown message body."""
    return {"msgtype": "markdown", "markdown": {"content": markdown(payload)}}


def template_card(payload: dict[str, Any], *, task: str) -> dict[str, Any]:
    """A ``button_interaction`` card: title, up to 6 fields side by side, the rest and the text below the title,
    up to 6 buttons. A card without actions becomes a card with one grey, unclickable line (its outcome)."""
    card = payload["card"]
    fields = card["fields"]
    inputs = [f"{i['name']}:{_label_head(i['label'])}" for i in card.get("inputs", [])]
    sub: list[str] = []
    if payload.get("text"):
        sub.append(str(payload["text"]))
    sub += [f"{f['label']}:{f['value']}" for f in fields[MAX_HORIZONTAL:]]
    if card.get("inputs"):
        sub.append("可填:" + "、".join(i["label"] + ("*" if i["required"] else "") for i in card["inputs"]))
        sub.append(REPLY_HINT)
    body: dict[str, Any] = {
        "card_type": "button_interaction",
        "source": {"desc": "Kesu 客诉助手"},
        "main_title": {"title": card["title"][:36], "desc": card["title"][36:]},
        "horizontal_content_list": [
            {"keyname": f["label"][:10], "value": str(f["value"])[:60]} for f in fields[:MAX_HORIZONTAL]
        ],
        "task_id": task,
    }
    if sub:
        body["sub_title_text"] = "\n".join(sub)
    actions = card.get("actions", [])[:MAX_BUTTONS]
    if actions:
        body["button_list"] = [
            {"text": a["label"][:10], "style": 1 if i == 0 else 2, "key": button_key(card["id"], a["id"], inputs)}
            for i, a in enumerate(actions)
        ]
    else:
        body["replace_text"] = (fields[0]["value"] if fields else card["title"])[:20] or "已处理"
    return body


def card_message(payload: dict[str, Any], *, task: str) -> dict[str, Any]:
    """A template card message body (message/send)."""
    return {"msgtype": "template_card", "template_card": template_card(payload, task=task)}


def update_button_xml(*, to_user: str, corp_id: str, text: str, at: int) -> str:
    """The passive reply to a card click: the tapped button shows ``text`` (the true outcome)."""
    return (
        f"<xml><ToUserName><![CDATA[{_cdata(to_user)}]]></ToUserName>"
        f"<FromUserName><![CDATA[{_cdata(corp_id)}]]></FromUserName>"
        f"<CreateTime>{at}</CreateTime><MsgType><![CDATA[update_button]]></MsgType>"
        f"<Button><ReplaceName><![CDATA[{_cdata(text)}]]></ReplaceName></Button></xml>"
    )


def text_reply_xml(*, to_user: str, corp_id: str, agent_id: str, text: str, at: int) -> str:
    """A passive text reply (unknown sender, unsupported message)."""
    return (
        f"<xml><ToUserName><![CDATA[{_cdata(to_user)}]]></ToUserName>"
        f"<FromUserName><![CDATA[{_cdata(corp_id)}]]></FromUserName>"
        f"<CreateTime>{at}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{_cdata(plain(text))}]]></Content><AgentID>{int(agent_id)}</AgentID></xml>"
    )


def _label_head(label: str) -> str:
    """``责任部门(有效时必填)`` → ``责任部门``, without the key's separators."""
    return re.sub(r"[|,:]", "", re.split(r"[(（]", label, maxsplit=1)[0]).strip()


def _cdata(value: str) -> str:
    return value.replace("]]>", "]]]]><![CDATA[>")
