"""Text → intent and fields, as a colleague would read a hurried phone message (rules, no model).

The order matters: references are taken out first (KS/RMA/order numbers), then customer and product
from the catalogue (exact, alias, code without dash, one-character typo), then the quantity; the
intent is decided from the words and what was found, and the defect is what is left of the sentence
once the filler at the edges of each phrase is removed.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from typing import Any

from bot.context import Understood
from bot.intents.catalog import Catalog
from bot.intents.dates import delivery_of, month_of
from bot.intents.numbers import Quantity, chinese_to_int, read_quantity
from bot.intents.patterns import (
    AFFECTED,
    ARCHIVE_WORDS,
    BARE_QTY,
    BEFORE_VERB,
    BOUNDARY,
    CANCEL,
    CANCEL_LOOSE,
    COMPANY,
    COMPANY_SUFFIX,
    COMPLAINT,
    CUSTOMER_INFO,
    CUSTOMER_LABEL,
    DEFECT,
    EDGE,
    EDGE_WORDS_EN,
    ENGLISH_CUSTOMER,
    ENGLISH_LEAD,
    ENGLISH_REPORT,
    ENGLISH_SAYS,
    FIELD_LABELS,
    HELP,
    HELP_LOOSE,
    KEY_CUSTOMER,
    KS_NUMBER,
    LEADING_NAME,
    MODEL_CODE,
    MONTH_WORDS,
    NAME_PREFIX,
    NAME_SUFFIX,
    NEGATIVE,
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
    REQUIREMENTS,
    RETURN,
    REVIEW,
    REVIEW_QUESTION,
    RMA_NUMBER,
    SEGMENT,
    STATUS,
    SUMMARY,
    TASKS,
    TRADITIONAL,
    URGENT,
    VISIT,
    VISIT_CUSTOMER,
)
from core.org import Org


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


def _clean_name(raw: str) -> str | None:
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
            name = _clean_name(m.group(1))
            if name:
                return name
    return None


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
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


def _requirements_of(tail: str) -> str | None:
    """The text after 要求/特殊要求/备注, without separators at its edges."""
    value = re.sub(r"\s*[,;,;。]+\s*", ",", re.sub(r"\s+", " ", tail))
    return re.sub(r"^[\s,.;:!~。;,:]+|[\s,.;:!~。;,:]+$", "", value) or None


class Parser:
    """Understands one message against the factory's catalogue; ``now`` resolves 上个月 and friends."""

    def __init__(self, org: Org, *, extra_customers: tuple[str, ...] = ()) -> None:
        self.catalog = Catalog(org, extra_customers=extra_customers)

    def __call__(self, text: str, now: datetime) -> Understood:
        return self.parse(text, now)

    def _extract(self, t: str) -> tuple[dict[str, Any], list[tuple[int, int]]]:
        found: dict[str, Any] = {}
        spans: list[tuple[int, int]] = []
        for key, pattern, fmt in (("complaint_no", KS_NUMBER, _ks), ("rma_no", RMA_NUMBER, _rma)):
            m = pattern.search(t)
            if m:
                found[key] = fmt(m)
                spans.append(m.span())
        order = ORDER_NO.search(_blank(t, spans))
        if order:
            found["order_no"] = re.sub(r"[_ ]", "", order.group(1).upper())
            spans.append(order.span())
        customer = self.catalog.customer(_blank(t, spans))
        if customer:
            found["customer"] = customer.value
            spans.append((customer.start, customer.end))
        product = self.catalog.product(_blank(t, spans))
        if product:
            found["product"] = product.value
            found["_product_end"] = product.end
            spans.append((product.start, product.end))
        qty = quantity_of(_blank(t, spans), t)
        if qty:
            reading, span = qty
            if reading.value is not None:
                found["quantity"] = reading.value
            else:
                found["_invalid_quantity"] = reading.problem
            spans.append(span)
        if "product" not in found:
            for code in MODEL_CODE.finditer(_blank(t, spans)):
                if not NOT_A_MODEL.search(code.group(1).replace("-", "")):
                    found["product"] = re.sub(r"[_ ]", "-", code.group(1).upper())
                    found["_product_end"] = code.end()
                    spans.append(code.span())
                    break
        if "product" not in found:
            noun = PRODUCT_NOUN.search(_blank(t, spans))
            if noun:
                found["product"] = noun.group(1)
                found["_product_is_noun"] = True
                found["_product_end"] = noun.end()
                spans.append(noun.span())
        if "customer" not in found:
            name = _new_customer(_blank(t, spans))
            if name:
                found["customer"] = name
                i = t.find(name)
                if i >= 0:
                    spans.append((i, i + len(name)))
        if URGENT.search(t):
            found["severity"] = "urgent"
        return found, spans

    def parse(self, text: str, now: datetime) -> Understood:
        """The intent of ``text`` and the fields it states (absent fields are omitted)."""
        full = normalise(text)
        t = re.sub(r"^(?:【[^】]*】|\[[^\]]*\]|转发[::]?|fwd?[::])\s*", "", full, flags=re.IGNORECASE)
        bare = re.sub(r"^[\s!.?。~]+|[\s!.?。~]+$", "", t)
        if not bare:
            return Understood("help" if "?" in t else "unknown")
        if CANCEL.match(bare):
            return Understood("cancel")
        if HELP.match(bare) or (len(bare) <= 20 and HELP_LOOSE.search(bare)):
            return Understood("help")
        review = self._order_review(t, now)
        if review is not None:
            return review
        found, spans = self._extract(t)
        concrete = {"customer", "product", "complaint_no", "rma_no", "order_no"} & set(found)
        if len(bare) <= 12 and CANCEL_LOOSE.search(bare) and not concrete:
            return Understood("cancel")
        intent = self._intent(full, found)
        invalid = {"quantity": found["_invalid_quantity"]} if "_invalid_quantity" in found else {}
        keep = {
            "query_status": ("complaint_no", "rma_no", "customer"),
            "request_return": ("complaint_no", "customer", "product", "quantity", "order_no"),
            "log_complaint": ("customer", "product", "quantity", "order_no"),
            "record_visit": ("customer",),
            "customer_info": ("customer",),
            "key_customer": ("customer",),
        }.get(intent, ())
        slots = {k: found[k] for k in keep if k in found}
        if intent == "monthly_summary":
            month, problem = month_of(t, now)
            if month:
                slots["month"] = month
            if problem:
                invalid["month"] = problem
        elif intent == "record_visit" and not self.catalog.customer(t):
            visit = VISIT_CUSTOMER.search(t)  # the one visited, rather than any name in the notes
            name = _clean_name(visit.group(1)) if visit else None
            if name:
                slots["customer"] = name
        elif intent == "log_complaint":
            rest = _blank(t, spans)
            rest = _blank(rest, [m.span() for m in QTY_WITH_UNIT.finditer(rest)])
            defect = defect_of(rest, after=found.get("_product_end", 0))
            if defect:
                slots["defect"] = defect
            slots["severity"] = found.get("severity", "normal")
        entities = {k: v for k, v in found.items() if not k.startswith("_")}
        return Understood(intent, slots, entities, invalid)

    def _order_review(self, t: str, now: datetime) -> Understood | None:
        """A request for 合同评审: the explicit words plus goods (a product or a quantity); else None."""
        words = list(REVIEW.finditer(t))
        if not words:
            return None
        spans = [m.span() for m in words]
        delivery = delivery_of(_blank(t, spans), now)
        if delivery:
            spans.append(delivery.span)
        rest = _blank(t, spans)
        requirements = None
        label = REQUIREMENTS.search(rest)
        if label:
            requirements = _requirements_of(rest[label.end() :])
            spans.append((label.start(), len(t)))
        head = _blank(t, spans)
        if COMPLAINT.search(head) or STATUS.search(head) or TASKS.search(head) or RETURN.search(head):
            return None
        found, _ = self._extract(head)
        command = words[0].start() == 0 and not REVIEW_QUESTION.search(t)  # 合同评审 美的 …: missing fields are asked
        if "product" not in found and "quantity" not in found and "_invalid_quantity" not in found and not command:
            return None
        slots: dict[str, Any] = {k: found[k] for k in ("customer", "product", "quantity") if k in found}
        invalid = {"quantity": found["_invalid_quantity"]} if "_invalid_quantity" in found else {}
        if delivery and delivery.value:
            slots["delivery"] = delivery.value
        elif delivery and delivery.problem:
            invalid["delivery"] = delivery.problem
        if requirements:
            slots["requirements"] = requirements
        entities = {k: v for k, v in found.items() if not k.startswith("_") and k != "severity"}
        return Understood("order_review", slots, entities | slots, invalid)

    @staticmethod
    def _intent(t: str, found: dict[str, Any]) -> str:
        has_number = "complaint_no" in found or "rma_no" in found
        complaint = bool(COMPLAINT.search(t))
        defect = bool(DEFECT.search(t))
        goods = ("product" in found and "_product_is_noun" not in found) or "quantity" in found
        goods = goods or "_invalid_quantity" in found
        if KEY_CUSTOMER.search(t) and not has_number and not complaint and not defect:
            return "key_customer"  # 申请重点客户 明辉电子 (PROCEDURE §7: proposed, approved by leadership)
        if (
            CUSTOMER_INFO.search(t)
            and not has_number
            and not complaint
            and not defect
            and not goods
            and ("customer" in found or ARCHIVE_WORDS.search(t))
        ):
            return "customer_info"  # 明辉电子的联系人, 客户资料 明辉电子 (PROCEDURE §6)
        if TASKS.search(t) and not has_number and not (defect and goods):
            return "my_tasks"
        if VISIT.search(t) and not has_number and not (complaint and goods):
            return "record_visit"
        if (
            SUMMARY.search(t)
            and not has_number
            and (MONTH_WORDS.search(t) or re.search(r"(投诉|客诉|退货|抱怨|反馈|月报|月度|及时率|monthly)", t, re.I))
            and not (defect and goods)
        ):
            return "monthly_summary"
        status = bool(STATUS.search(t))
        returning = bool(RETURN.search(t)) or bool(re.search(r"\brma\b", t, re.I) and not has_number)
        if "rma_no" in found:
            return "query_status"
        if has_number:
            return "request_return" if returning and not status else "query_status"
        if (
            status
            and not goods
            and ("customer" in found or re.search(r"(投诉|客诉|那单|这单|单子|那批|退货|rma|报的|complaint)", t, re.I))
        ):
            return "query_status"
        if returning:
            return "request_return"
        if VISIT.search(t):
            return "record_visit"
        if NEGATIVE.search(t) and not complaint and not defect:
            return "unknown"
        if complaint and ("customer" in found or goods or defect):
            return "log_complaint"
        if defect and ("customer" in found or goods):
            return "log_complaint"
        if "customer" in found and "product" in found and ("quantity" in found or ENGLISH_REPORT.search(t)):
            return "log_complaint"  # who, what and how many: a report of a problem
        if "customer" in found and "product" in found and "_product_is_noun" not in found and defect:
            return "log_complaint"
        if complaint:
            return "log_complaint"
        return "unknown"
