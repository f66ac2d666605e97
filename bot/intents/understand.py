"""Text → intent and fields, as a colleague would read a hurried phone message (rules, no model).

The order matters: references are taken out first (KS/RMA/order numbers), then customer and product
from the catalogue (exact, alias, code without dash, one-character typo), then the quantity; the
intent is decided from the words and what was found, and the defect is what is left of the sentence
once the filler at the edges of each phrase is removed. The patterns are in ``patterns.py``, the reading of
each field in ``extract.py``; this module decides the intent and which fields it keeps.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from bot.context import Understood
from bot.intents.catalog import Catalog
from bot.intents.dates import delivery_of, month_of
from bot.intents.extract import blank, clean_name, defect_of, fields_of, normalise, requirements_of
from bot.intents.patterns import (
    ARCHIVE_WORDS,
    CANCEL,
    CANCEL_LOOSE,
    COMPLAINT,
    CUSTOMER_INFO,
    DEFECT,
    ENGLISH_REPORT,
    HELP,
    HELP_LOOSE,
    KEY_CUSTOMER,
    MONTH_WORDS,
    NEGATIVE,
    QTY_WITH_UNIT,
    REQUIREMENTS,
    RETURN,
    REVIEW,
    REVIEW_QUESTION,
    STATUS,
    SUMMARY,
    TASKS,
    VISIT,
    VISIT_CUSTOMER,
)
from core.org import Org


class Parser:
    """Understands one message against the factory's catalogue; ``now`` resolves 上个月 and friends."""

    def __init__(self, org: Org, *, extra_customers: tuple[str, ...] = ()) -> None:
        self.catalog = Catalog(org, extra_customers=extra_customers)

    def __call__(self, text: str, now: datetime) -> Understood:
        return self.parse(text, now)

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
        found, spans = fields_of(t, self.catalog)
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
            name = clean_name(visit.group(1)) if visit else None
            if name:
                slots["customer"] = name
        elif intent == "log_complaint":
            rest = blank(t, spans)
            rest = blank(rest, [m.span() for m in QTY_WITH_UNIT.finditer(rest)])
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
        delivery = delivery_of(blank(t, spans), now)
        if delivery:
            spans.append(delivery.span)
        rest = blank(t, spans)
        requirements = None
        label = REQUIREMENTS.search(rest)
        if label:
            requirements = requirements_of(rest[label.end() :])
            spans.append((label.start(), len(t)))
        head = blank(t, spans)
        if COMPLAINT.search(head) or STATUS.search(head) or TASKS.search(head) or RETURN.search(head):
            return None
        found, _ = fields_of(head, self.catalog)
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
