"""Neutral cards and texts → Feishu message content (Card JSON 2.0).

Buttons carry a JSON object ``{"card": card_id, "action": action_id}`` as their callback value (lark-oapi
1.7.5 answers 500 to a string value). A card with inputs becomes one form: its inputs (a select where the
choices are known, a date picker for dates, multi-line boxes for long answers) and one submit button per
action, so everything typed arrives with the tap in ``action.form_value``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

# Inputs whose answer is a long text, and inputs that take a date.
_MULTILINE = frozenset(
    {"containment", "root_cause", "corrective", "preventive", "comment", "note", "cause", "defect", "requirements"}
)
_DATES = frozenset({"delivery"})
_FIXED_CHOICES: dict[str, tuple[tuple[str, str], ...]] = {
    "severity": (("急件", "急件"), ("普通件", "普通件")),
    "ours": (("是", "是"), ("否", "否")),
}
MAX_MARKDOWN = 4000
_SPECIAL = frozenset("&*_~`[]<>#")  # written as HTML entities, which Feishu markdown shows as is
# Put after ``<`` and ``]`` in a text message, so what people typed shows as typed and never becomes a tag
# (``<at user_id="all">`` would @ everyone) or a ``[text](url)`` link: a text message knows no escapes.
_BREAK = "\u200b"


def _plain(text: str) -> dict[str, str]:
    return {"tag": "plain_text", "content": text}


def _escape(text: str) -> str:
    """Markdown-safe text: no accidental emphasis, links or @-mentions from what people typed."""
    out = "".join(f"&#{ord(ch)};" if ch in _SPECIAL else ch for ch in text[:MAX_MARKDOWN])
    return out


def plain(text: str) -> str:
    """Text for a text message: Feishu runs ``<at …>``, ``<a>``/``<b>``-style tags and ``[text](url)`` links in
    one, so no ``<`` (or ``&lt;``) opens a tag and no ``](`` makes a link (Kesu's ``**bold**`` still works)."""
    return text.replace("&", "&" + _BREAK).replace("<", "<" + _BREAK).replace("](", "]" + _BREAK + "(")


def text_content(text: str) -> str:
    """The ``content`` of a text message."""
    return json.dumps({"text": plain(text)}, ensure_ascii=False)


def _input(spec: Mapping[str, Any], choices: Mapping[str, Sequence[tuple[str, str]]]) -> dict[str, Any]:
    name, label = str(spec["name"]), str(spec["label"]) + ("*" if spec.get("required") else "")
    options = choices.get(name) or _FIXED_CHOICES.get(name)
    # Required inputs are checked by Kesu (a card's "required" may hold for one action only, e.g. 取消
    # needs nothing): the form itself never blocks a submit.
    if options:
        return {
            "tag": "select_static",
            "name": name,
            "required": False,
            "placeholder": _plain(label),
            "options": [{"text": _plain(text), "value": value} for value, text in options],
        }
    if name in _DATES:
        return {"tag": "date_picker", "name": name, "required": False, "placeholder": _plain(label)}
    element: dict[str, Any] = {
        "tag": "input",
        "name": name,
        "required": False,
        "label": _plain(label),
        "label_position": "top",
        "placeholder": _plain(label),
        "max_length": 1000,
    }
    if name in _MULTILINE:
        element["input_type"] = "multiline_text"
        element["rows"] = 2
    return element


def _button(card_id: str, action: Mapping[str, Any], index: int, *, in_form: bool) -> dict[str, Any]:
    button: dict[str, Any] = {
        "tag": "button",
        "text": _plain(str(action["label"])),
        "type": "primary" if index == 0 else "default",
        "behaviors": [{"type": "callback", "value": {"card": card_id, "action": str(action["id"])}}],
    }
    if in_form:
        button["name"] = f"submit_{index}"
        button["form_action_type"] = "submit"
    return button


def card(
    neutral: Mapping[str, Any],
    *,
    text: str | None = None,
    choices: Mapping[str, Sequence[tuple[str, str]]] | None = None,
) -> dict[str, Any]:
    """A neutral card (``{"id","title","fields","actions","inputs"}``) as a Card JSON 2.0 object, with an
    optional text above its fields. ``choices`` maps an input name to (value, label) options."""
    card_id = str(neutral["id"])
    elements: list[dict[str, Any]] = []
    if text:
        elements.append({"tag": "markdown", "content": _escape(text)})
    fields = neutral.get("fields") or []
    if fields:
        lines = [f"**{_escape(str(f['label']))}**:{_escape(str(f['value']))}" for f in fields]
        elements.append({"tag": "markdown", "content": "\n".join(lines)})
    actions, inputs = list(neutral.get("actions") or []), list(neutral.get("inputs") or [])
    if actions and inputs:
        form_elements = [_input(i, choices or {}) for i in inputs]
        form_elements += [_button(card_id, a, n, in_form=True) for n, a in enumerate(actions)]
        elements.append({"tag": "form", "name": f"form_{card_id}", "elements": form_elements})
    else:
        elements += [_button(card_id, a, n, in_form=False) for n, a in enumerate(actions)]
    return {
        "schema": "2.0",
        "config": {"update_multi": True, "width_mode": "fill"},
        "header": {"title": _plain(str(neutral["title"])), "template": "blue" if actions else "grey"},
        "body": {"elements": elements},
    }


def card_content(
    neutral: Mapping[str, Any],
    *,
    text: str | None = None,
    choices: Mapping[str, Sequence[tuple[str, str]]] | None = None,
) -> str:
    """The ``content`` string of an interactive message."""
    return json.dumps(card(neutral, text=text, choices=choices), ensure_ascii=False)
