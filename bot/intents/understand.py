"""Text → intent and fields. Deliberately small: the rich parser of a later issue replaces ``understand``."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from bot.context import Understood
from core.org import Org

KS_NUMBER = re.compile(r"KS-?\s*(\d{6})-?\s*(\d{1,4})", re.IGNORECASE)
QUANTITY = re.compile(r"(\d+)\s*(?:个|pcs|pc|件|台|只|片|套|支|箱)", re.IGNORECASE)
ORDER_NO = re.compile(r"(?:订单号?[::]?\s*)?(?<![A-Za-z0-9])((?:SO|MO|PO)[-\s]?\d[\d-]*)", re.IGNORECASE)
MODEL_CODE = re.compile(r"[A-Za-z]{1,4}-?\d{2,5}[A-Za-z]?")
URGENT = ("急", "紧急", "加急", "马上", "今天要")
COMPLAINT_WORDS = ("投诉", "客诉", "抱怨", "不良", "退货", "质量问题", "反馈")
HELP_WORDS = {"帮助", "help", "?", "菜单", "怎么用", "你好"}
SEPARATORS = re.compile(r"[,;。!\s、]+")


def normalise(text: str) -> str:
    """Full-width to half-width (NFKC), trimmed."""
    return unicodedata.normalize("NFKC", text).strip()


def _match_customer(text: str, org: Org) -> tuple[str, str] | None:
    """(canonical name, the text that matched)."""
    for cust in org.customers:
        for name in sorted((cust.name, *cust.aliases), key=len, reverse=True):
            if name and name in text:
                return cust.name, name
    return None


def _match_product(text: str, org: Org) -> tuple[str, str] | None:
    """(canonical code, the text that matched)."""
    for prod in org.products:
        for name in sorted((prod.code, *prod.aliases), key=len, reverse=True):
            if name and name.lower() in text.lower():
                return prod.code, name
    m = MODEL_CODE.search(text)
    return (m.group(0).upper(), m.group(0)) if m else None


def understand(text: str, org: Org) -> Understood:
    """The intent and fields of one message."""
    t = normalise(text)
    if t.lower() in HELP_WORDS:
        return Understood("help")
    if t in ("取消", "cancel", "算了"):
        return Understood("cancel")
    number = KS_NUMBER.search(t)
    if number and not any(w in t for w in ("投诉", "客诉")):
        return Understood("query_status", {"complaint_no": f"KS-{number.group(1)}-{int(number.group(2)):04d}"})
    if not any(w in t for w in COMPLAINT_WORDS):
        return Understood("unknown")
    slots: dict[str, Any] = {}
    rest = t
    matched = _match_customer(t, org)
    customer, written = matched if matched else (None, None)
    if customer is None and "投诉" in t:
        customer = written = t.split("投诉", 1)[0].strip(" ,:") or None
    if customer:
        slots["customer"] = customer
    for word in (written, *COMPLAINT_WORDS):
        if word:
            rest = rest.replace(word, " ")
    order = ORDER_NO.search(rest)
    if order:
        slots["order_no"] = order.group(1).upper().replace(" ", "")
        rest = rest.replace(order.group(0), " ")
    product = _match_product(rest, org)
    if product:
        slots["product"] = product[0]
        rest = re.sub(re.escape(product[1]), " ", rest, count=1, flags=re.IGNORECASE)
    qty = QUANTITY.search(rest)
    if qty:
        slots["quantity"] = int(qty.group(1))
        rest = rest.replace(qty.group(0), " ")
    if any(w in t for w in URGENT):
        slots["severity"] = "urgent"
        for w in sorted(URGENT, key=len, reverse=True):
            rest = rest.replace(w, " ")
    defect = " ".join(p for p in SEPARATORS.split(rest) if p and p not in ("件", "处理", "说", "我们的"))
    if defect:
        slots["defect"] = defect
    return Understood("log_complaint", slots)
