"""Reading the fields of a message: references, customer, product, quantity, severity, defect, requirements."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from bot.intents.catalog import Catalog
from bot.intents.numbers import Quantity, chinese_to_int, read_quantity
from bot.intents.patterns import (
    AFFECTED,
    BARE_QTY,
    BEFORE_VERB,
    BOUNDARY,
    COMPANY,
    COMPANY_SUFFIX,
    CUSTOMER_LABEL,
    DEFECT,
    EDGE,
    EDGE_WORDS_EN,
    ENGLISH_CUSTOMER,
    ENGLISH_LEAD,
    ENGLISH_SAYS,
    FIELD_LABELS,
    KS_NUMBER,
    LEADING_NAME,
    MODEL_CODE,
    NAME_PREFIX,
    NAME_SUFFIX,
    NOT_A_COUNT,
    NOT_A_MODEL,
    NOT_A_NAME,
    NUMBER_OF,
    ORDER_NO,
    PARTICLES,
    PRODUCT_NOUN,
    QTY_LEAD,
    QTY_WITH_UNIT,
    RECEIVED_FROM,
    RMA_NUMBER,
    SEGMENT,
    TRADITIONAL,
    URGENT,
)


def normalise(text: str) -> str:
    """Full-width to half-width (NFKC), traditional to simplified for common characters, typos, one space."""
    t = unicodedata.normalize("NFKC", text).translate(TRADITIONAL)
    t = re.sub(
        r"(?<=[A-Za-z])(-?)([零一二两三四五六七八九十百]{1,4})(?=[\u4e00-\u9fa5\s]|$)",
        lambda m: m.group(1) + str(chinese_to_int(m.group(2)) or m.group(2)),
        t,
    )
    t = t.replace("投拆", "投诉").replace("投述", "投诉").replace("电孑", "电子").replace("客述", "客诉")
    return re.sub(r"\s+", " ", t).strip()


def _ks(m: re.Match[str]) -> str:
    return f"KS-{m.group(1)}-{int(m.group(2)):04d}"


def _rma(m: re.Match[str]) -> str:
    return f"RMA-{m.group(1)}-{int(m.group(2)):04d}"


def _reading(m: re.Match[str], raw: str) -> Quantity | None:
    """The quantity a match wrote, with its sign when the "-" is a minus (not between two words)."""
    sign = (m.group("sign") or "").strip()
    before = raw[m.start("sign") - 1] if sign and m.start("sign") > 0 else ""
    negative = sign == "负" or (bool(sign) and not before.isalnum())
    return read_quantity((sign if negative else "") + m.group("num"), negative=negative)


def quantity_of(text: str, raw: str | None = None) -> tuple[Quantity, tuple[int, int]] | None:
    """The affected quantity and where it is written: '200个', '1.5万片', '一共15台', '数量:80', a bare '2500'.

    Of several, the one introduced as the affected part wins (1.5万片里挑出来80片 → 80); a lone 'one'
    in front of a noun (一个投诉, 一个孔) is an article, not a quantity. ``raw`` is ``text`` before names were
    blanked out (it tells a minus from a separator: X200-5个). A number that is not a positive whole number
    (-5个, 1.5个, 0个, 20 digits) is returned with why not, never changed into one.
    """
    raw = text if raw is None else raw
    found: list[tuple[Quantity, tuple[int, int]]] = []
    for pattern in (QTY_WITH_UNIT, QTY_LEAD):
        for m in pattern.finditer(text):
            reading = _reading(m, raw)
            if reading is None:
                continue
            article = (
                reading.value == 1
                and not m.group("num").isdigit()
                and re.match(r"[\u4e00-\u9fa5]", text[m.end() : m.end() + 1])
            )
            if not article:
                found.append((reading, m.span()))
        if found:
            break
    if not found:
        for m in BARE_QTY.finditer(text):
            num = m.group("num")
            if (len(num) < 2 and num.isdigit()) or re.fullmatch(r"20\d\d", num) or NOT_A_COUNT.match(num):
                continue
            if NUMBER_OF.search(raw[max(0, m.start() - 8) : m.start()]):
                continue
            reading = _reading(m, raw)
            if reading is not None and reading.written not in ("0", "-0"):
                found.append((reading, m.span()))
                break
    if not found:
        return None
    for reading, span in found[1:]:
        if AFFECTED.search(text[max(0, span[0] - 10) : span[0]]):
            return reading, span
    return found[0]


def clean_name(raw: str) -> str | None:
    """A name as a customer's, without the words around it (刚接到, 那边, 有限公司); None if it is not one."""
    name = raw.strip(" .,:")
    for _ in range(2):
        name = NAME_SUFFIX.sub("", NAME_PREFIX.sub("", name)).strip(" .,:")
    if len(name) < 2 or name.isdigit() or NOT_A_NAME.search(name) or MODEL_CODE.fullmatch(name):
        return None
    if DEFECT.search(name) and not re.search(COMPANY_SUFFIX, name):
        return None
    return name


def _new_customer(text: str) -> str | None:
    """A customer not in the catalogue, kept as written (a new customer is normal)."""
    for pattern in (
        CUSTOMER_LABEL,
        RECEIVED_FROM,
        ENGLISH_CUSTOMER,
        ENGLISH_LEAD,
        ENGLISH_SAYS,
        COMPANY,
        BEFORE_VERB,
        LEADING_NAME,
    ):
        for m in pattern.finditer(text):
            name = clean_name(m.group(1))
            if name:
                return name
    return None


def blank(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` with the characters in ``spans`` replaced by spaces (positions kept)."""
    chars = list(text)
    for start, end in spans:
        for i in range(start, min(end, len(chars))):
            chars[i] = " "
    return "".join(chars)


def defect_of(rest: str, *, after: int = 0) -> str | None:
    """The defect phrase: the first phrase naming a defect once the filler at its edges is gone.

    Phrases written after the product (``after``) come first: people name the part, then what is wrong.
    """
    text = BOUNDARY.sub(lambda m: " " * len(m.group(0)), FIELD_LABELS.sub(lambda m: " " * len(m.group(0)), rest))
    cjk = len(re.findall(r"[\u4e00-\u9fa5]", text))
    english = len(re.findall(r"[A-Za-z]", text)) > 2 * cjk
    splitter = re.compile(r"[,;。!?:()\[\]|/#—]+|\s{2,}") if english else SEGMENT
    phrases: list[tuple[int, str]] = []
    pos = 0
    for raw in splitter.split(text):
        start = text.find(raw, pos) if raw else pos
        pos = start + len(raw)
        phrase = raw.strip()
        for _ in range(5):
            stripped = (EDGE_WORDS_EN.sub("", phrase) if english else EDGE.sub("", phrase)).strip(PARTICLES + " ")
            if stripped == phrase:
                break
            phrase = stripped
        if len(phrase) < 2 or phrase.isdigit() or URGENT.fullmatch(phrase) or PRODUCT_NOUN.fullmatch(phrase):
            continue
        if re.search(r"(通知|报告|单)$", phrase) or QTY_WITH_UNIT.fullmatch(phrase):
            continue
        phrases.append((start, phrase))
    if not phrases:
        return None
    ordered = [p for p in phrases if p[0] >= after] + [p for p in phrases if p[0] < after]
    named = [p for _, p in ordered if DEFECT.search(p)]
    return named[0] if named else ordered[0][1]


def requirements_of(tail: str) -> str | None:
    """The text after 要求/特殊要求/备注, without separators at its edges."""
    value = re.sub(r"\s*[,;,;。]+\s*", ",", re.sub(r"\s+", " ", tail))
    return re.sub(r"^[\s,.;:!~。;,:]+|[\s,.;:!~。;,:]+$", "", value) or None


def fields_of(t: str, catalog: Catalog) -> tuple[dict[str, Any], list[tuple[int, int]]]:
    """The fields ``t`` states and where each is written; keys starting with "_" are notes for the parser."""
    found: dict[str, Any] = {}
    spans: list[tuple[int, int]] = []
    for key, pattern, fmt in (("complaint_no", KS_NUMBER, _ks), ("rma_no", RMA_NUMBER, _rma)):
        m = pattern.search(t)
        if m:
            found[key] = fmt(m)
            spans.append(m.span())
    order = ORDER_NO.search(blank(t, spans))
    if order:
        found["order_no"] = re.sub(r"[_ ]", "", order.group(1).upper())
        spans.append(order.span())
    customer = catalog.customer(blank(t, spans))
    if customer:
        found["customer"] = customer.value
        spans.append((customer.start, customer.end))
    product = catalog.product(blank(t, spans))
    if product:
        found["product"] = product.value
        found["_product_end"] = product.end
        spans.append((product.start, product.end))
    qty = quantity_of(blank(t, spans), t)
    if qty:
        reading, span = qty
        if reading.value is not None:
            found["quantity"] = reading.value
        else:
            found["_invalid_quantity"] = reading.problem
        spans.append(span)
    if "product" not in found:
        for code in MODEL_CODE.finditer(blank(t, spans)):
            if not NOT_A_MODEL.search(code.group(1).replace("-", "")):
                found["product"] = re.sub(r"[_ ]", "-", code.group(1).upper())
                found["_product_end"] = code.end()
                spans.append(code.span())
                break
    if "product" not in found:
        noun = PRODUCT_NOUN.search(blank(t, spans))
        if noun:
            found["product"] = noun.group(1)
            found["_product_is_noun"] = True
            found["_product_end"] = noun.end()
            spans.append(noun.span())
    if "customer" not in found:
        name = _new_customer(blank(t, spans))
        if name:
            found["customer"] = name
            i = t.find(name)
            if i >= 0:
                spans.append((i, i + len(name)))
    if URGENT.search(t):
        found["severity"] = "urgent"
    return found, spans
