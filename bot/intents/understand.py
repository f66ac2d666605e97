"""Text → intent and fields, as a colleague would read a hurried phone message (rules, no model).

The order matters: numbers and references are taken out first (KS/RMA/order numbers, quantities),
then customer and product from the catalogue (exact, alias, code without dash, typo), then the intent
is decided from what is left, and the defect is the rest of the sentence with the filler removed.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.context import Understood
from bot.intents.catalog import Catalog, Match
from bot.intents.numbers import CN_NUMBER, chinese_to_int, to_int
from core.org import Org

KS_NUMBER = re.compile(r"(?<![A-Za-z])ks[-_ ]?(\d{6})[-_ ]?(\d{1,4})(?!\d)", re.IGNORECASE)
RMA_NUMBER = re.compile(r"(?<![A-Za-z])rma[-_ ]?(\d{6})[-_ ]?(\d{1,4})(?!\d)", re.IGNORECASE)
ORDER_NO = re.compile(
    r"(?:订单号?|单号|order(?:\s*no\.?)?)?[::#\s]*(?<![A-Za-z0-9])((?:SO|MO|PO)[-_ ]?\d(?:[\d-]*\d)?)(?![A-Za-z0-9])",
    re.IGNORECASE,
)
NUM = rf"(\d+(?:,\d{{3}})*(?:\.\d+)?\s*(?:万|千|k|w)?|{CN_NUMBER})"
UNIT = r"(?:个|pcs|pc|件|台|只|片|套|箱|支|块|颗|条|卷|张|根|盒|包|组|粒|双|把|units?|sets?|pieces?)"
QTY_WITH_UNIT = re.compile(rf"{NUM}\s*(?:多)?\s*{UNIT}(?![月a-z])(?:\s*左右)?", re.IGNORECASE)
QTY_LEAD = re.compile(rf"(?:一共|共计|共|总共|总计|数量(?:是|为|有)?|qty|大概|大约|约)\s*[::]?\s*{NUM}", re.IGNORECASE)
MODEL_CODE = re.compile(r"(?<![A-Za-z0-9])([A-Za-z]{1,5}[-_ ]?\d{1,5}[A-Za-z]{0,2}(?:-\d{1,3})?)(?![A-Za-z0-9])")
URGENT = re.compile(
    r"(?<!不)(?<!不是很)(?<!不太)(?<!不用)(?<!不着)(?:急|马上|尽快|今天要|今天之内|立刻|立即|火速|asap|urgent)", re.I
)
MONTH_EXPLICIT = re.compile(r"(20\d{2})\s*[-年/.]\s*(\d{1,2})\s*月?")
MONTH_NAMED = re.compile(r"(今年|去年)?\s*(\d{1,2}|[一二三四五六七八九十]{1,3})\s*月(?:份)?")

CANCEL = re.compile(
    r"^(取消|撤销|撤回|算了|不要了|不用了|作废|删掉|删除草稿|cancel)(吧|了|一下|草稿|这单|这个)?[!.。!]*$", re.I
)
HELP = re.compile(
    r"^(帮助|help|\?+|菜单|怎么用|如何使用|使用说明|你能做什么|你会什么|能干嘛|有什么功能|功能|指令|命令|说明|你好.{0,4}怎么用.*)[??!.。]*$",
    re.IGNORECASE,
)
HELP_LOOSE = re.compile(
    r"(怎么用|你能做什么|你会做什么|能帮我做什么|有哪些功能|使用说明|help me|how (do|to) (i )?use)", re.I
)
TASKS = re.compile(
    r"(待办|待审批|待审核|待处理|待我|要我批|要我审|需要我|我的任务|我还有|我手上|还有(什么|啥|哪些).{0,6}(没|未)|"
    r"超期|逾期|过期的|todo|to-do|pending|有啥要我|有什么要我|等我(批|审|处理))",
    re.IGNORECASE,
)
SUMMARY = re.compile(r"(汇总|统计|月报|报表|总结|小结|summary|report|分析报告|数据|情况表|排行)", re.IGNORECASE)
STATUS = re.compile(
    r"(进度|状态|处理到哪|到哪了|到哪一步|怎么样了|咋样了|如何了|有结果|结果出来|进展|跟进情况|status|progress|"
    r"处理得怎么样|处理好了(吗|没)|好了没|完成了(吗|没)|什么情况|结案了(吗|没)|有回复(吗|没)|处理完了(吗|没)|查一下|查下)",
    re.IGNORECASE,
)
RETURN_STRONG = re.compile(
    r"(申请退货|退货申请|申请rma|rma申请|要退货|想退货|安排退货|办退货|退货流程|要退回|退回来|申请退回|要求退货|要退|退货|退回|return)",
    re.IGNORECASE,
)
VISIT = re.compile(r"(拜访|走访|回访|visit|上门|去了一趟|见了.{0,6}客户|登门)", re.IGNORECASE)
COMPLAINT = re.compile(
    r"(投诉|投拆|投述|客诉|抱怨|反馈|反映|complain|complaint|quality issue|品质问题|质量问题|客户说)", re.I
)
DEFECT = re.compile(
    r"(划伤|划痕|刮花|刮伤|擦伤|裂|破|碎|变形|弯|翘|漏|渗|异响|噪音|响声|不亮|不良|短路|烧|焦|氧化|生锈|锈|色差|颜色|"
    r"尺寸|偏大|偏小|超差|毛刺|披锋|脏|污|缺|少发|错发|漏发|少了|发错|不一致|松|脱落|断|卡|死机|失灵|失效|故障|发热|过热|"
    r"温度高|虚焊|气泡|起泡|掉漆|脱漆|模糊|受潮|霉|装不上|配合|公差|不通电|无法|不能|异常|偏差|功能|接触不良|开裂|凹|凸|"
    r"缩水|变色|发黄|字迹|印错|贴错|混料|批锋|起皮|掉色|不转|抖动|重启|没反应|坏|问题|瑕疵|次品|不合格|"
    r"overheat|scratch|crack|broken|defect|leak|noise|rust|loose|fail|damag|dent|faulty)",
    re.IGNORECASE,
)
NEGATIVE = re.compile(
    r"(报价|货款|付款|回款|发票|验厂|下单|下个单|订货|询价|交期确认|对账|开会|吃饭|午饭|请假|快递到了)"
)

COMPANY_SUFFIX = (
    "有限公司|股份公司|公司|科技|电子|电器|五金|精密|实业|集团|代工厂|工厂|制造|光电|塑胶|机电|电机|汽车|通讯|医疗|照明|"
    "家电|贸易|器材|材料|电气|智能|新能源|半导体|模具|包装"
)
COMPANY = re.compile(
    rf"([\u4e00-\u9fa5A-Za-z]{{2,10}}?(?:{COMPANY_SUFFIX}))(?:的|那边|这边|说|投诉|反馈|来电|电话|[,:;]|\s|$)"
)
BEFORE_VERB = re.compile(
    r"^(?:客户)?([\u4e00-\u9fa5A-Za-z][\u4e00-\u9fa5A-Za-z0-9&.]{1,11}?)(?:那边|这边)?"
    r"(?:又)?(?:投诉|投拆|投述|客诉|反馈|反映|抱怨|来电|打电话|电话说|说)"
)
RECEIVED_FROM = re.compile(
    r"(?:接到|收到|来自)([\u4e00-\u9fa5A-Za-z][\u4e00-\u9fa5A-Za-z0-9&.]{1,11}?)(?:的)?(?:电话|邮件|微信|投诉|反馈|消息|来电)"
)
CUSTOMER_LABEL = re.compile(
    r"客户(?:名称)?[::\s]\s*([\u4e00-\u9fa5A-Za-z][\u4e00-\u9fa5A-Za-z0-9&.]{1,11}?)(?=的|说|反馈|投诉|那边|[,,。;;\s]|$)"
)
ENGLISH_CUSTOMER = re.compile(r"(?:customer|client)\s*[:]?\s*([A-Z][A-Za-z0-9&.-]*(?:\s+[A-Z][A-Za-z0-9&.-]*)*)")
ENGLISH_LEAD = re.compile(
    r"^([A-Z][A-Za-z0-9&.-]+(?:\s+[A-Z][A-Za-z0-9&.-]+)*)\s+(?:complain|report|says|said|found|return)", re.I
)
VISIT_CUSTOMER = re.compile(
    r"(?:拜访|走访|回访|visit(?:ed)?|去|见了|登门)\s*(?:了|过)?\s*(?:客户)?([\u4e00-\u9fa5A-Za-z][\u4e00-\u9fa5A-Za-z0-9&.]{1,11}?)(?=的|,|,|。|\s|$|,|聊|沟通|谈|客户|那边|一趟|了)",
    re.I,
)
NOT_A_NAME = {
    "我们",
    "客户",
    "今天",
    "刚才",
    "刚刚",
    "他们",
    "对方",
    "这边",
    "那边",
    "老板",
    "领导",
    "有个",
    "有人",
    "一个",
    "这个",
    "那个",
    "昨天",
    "上午",
    "下午",
    "早上",
    "晚上",
    "刚接",
    "接到",
    "收到",
    "麻烦",
    "请",
    "帮忙",
    "品质",
    "质量",
    "产品",
    "货",
    "我",
    "你",
    "又",
    "再次",
    "再",
    "还是",
    "老客户",
    "新客户",
    "the",
    "our",
    "we",
    "they",
}
LEADING_NOISE = re.compile(r"^(?:【[^】]*】|\[[^\]]*\]|转发[::]?|fw[::]|fwd[::])\s*", re.IGNORECASE)
NAME_PREFIX = re.compile(
    r"^(?:刚接到|刚刚|刚才|刚|今天|昨天|上午|下午|早上|晚上|又|再次|接到|收到|麻烦|请|帮忙|老客户|新客户|客户|那个|这个)+"
)
NAME_SUFFIX = re.compile(r"(?:有限公司|股份公司|公司|那边|这边|的)$")
FILLER = re.compile(
    r"(刚接到|接到|收到|刚刚|刚才|电话|来电|邮件|微信|客户|投诉|投拆|投述|客诉|反馈|反映|抱怨|complaint|complain|说|我们的|我们|我司|贵司|"
    r"一共|总共|共计|数量|左右|大概|大约|请|麻烦|帮忙|帮我|尽快|处理|跟进|回复|一下|今天要|今天之内|今天|加急|紧急|马上|立刻|立即|"
    r"急件|急|好像|发现|出现|有点|有些|这批|那批|批次|货|产品|订单号?|单号|报告|需要|要求|给个|给|答复|看看|看下|看一下|"
    r"pls|please|asap|urgent|customer|client|pcs|of|the|our|we|they)",
    re.IGNORECASE,
)
SEGMENT = re.compile(r"[,;。!?、\s:()\[\]【】\"'“”…~]+")
TRIM = "的了吧啊呢哦呀嘛和及与跟在对是也都就还又把被让"
LEAD_WORDS = re.compile(r"^(有|出现了?|发现了?|存在|都|全部|部分|个别)+")


@dataclass(frozen=True)
class _Found:
    customer: Match | None
    product: Match | None


def normalise(text: str) -> str:
    """Full-width to half-width (NFKC), one space, common typos fixed."""
    t = unicodedata.normalize("NFKC", text)
    t = t.replace("投拆", "投诉").replace("投述", "投诉").replace("电孑", "电子")
    return re.sub(r"\s+", " ", t).strip()


def _ks(m: re.Match[str]) -> str:
    return f"KS-{m.group(1)}-{int(m.group(2)):04d}"


def _rma(m: re.Match[str]) -> str:
    return f"RMA-{m.group(1)}-{int(m.group(2)):04d}"


def _month(text: str, now: datetime) -> str | None:
    year, month = now.year, now.month
    if re.search(r"上上个?月", text):
        month -= 2
    elif re.search(r"(上个?月|last month|previous month)", text, re.I):
        month -= 1
    elif re.search(r"(本月|这个?月|当月|this month)", text, re.I):
        pass
    elif m := MONTH_EXPLICIT.search(text):
        year, month = int(m.group(1)), int(m.group(2))
    elif m := MONTH_NAMED.search(text):
        raw = m.group(2)
        value = int(raw) if raw.isdigit() else chinese_to_int(raw)
        if value is None or not 1 <= value <= 12:
            return None
        month = value
        if m.group(1) == "去年" or (m.group(1) != "今年" and month > now.month):
            year -= 1
    else:
        return None
    while month < 1:
        month += 12
        year -= 1
    return f"{year:04d}-{month:02d}"


def _quantity(text: str) -> tuple[int, tuple[int, int]] | None:
    for pattern in (QTY_WITH_UNIT, QTY_LEAD):
        for m in pattern.finditer(text):
            value = to_int(m.group(1))
            if value is not None and value > 0:
                return value, m.span()
    return None


def _clean_name(raw: str) -> str | None:
    name = NAME_SUFFIX.sub("", NAME_PREFIX.sub("", raw.strip())).strip(" .,:")
    name = NAME_SUFFIX.sub("", name)
    if len(name) < 2 or name.lower() in NOT_A_NAME or name.isdigit() or MODEL_CODE.fullmatch(name):
        return None
    if DEFECT.search(name) and not re.search(COMPANY_SUFFIX, name):
        return None
    return name


def _new_customer(text: str) -> str | None:
    """A customer not in the catalogue, kept as written (a new customer is normal)."""
    for pattern in (CUSTOMER_LABEL, RECEIVED_FROM, ENGLISH_CUSTOMER, ENGLISH_LEAD, COMPANY, BEFORE_VERB):
        m = pattern.search(text)
        if m:
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


def _defect(rest: str) -> str | None:
    stripped = URGENT.sub(" ", rest)
    stripped = FILLER.sub(" ", stripped)
    segments = [LEAD_WORDS.sub("", s.strip(TRIM + " ")).strip(TRIM + " ") for s in SEGMENT.split(stripped)]
    segments = [s for s in segments if len(s) >= 2 and not s.isdigit()]
    if not segments:
        return None
    with_defect = [s for s in segments if DEFECT.search(s)]
    chosen = " ".join(with_defect) if with_defect else max(segments, key=len)
    chosen = re.sub(r"(的问题|问题)$", "", chosen).strip(TRIM + " ") or chosen
    return chosen if len(chosen) >= 2 else None


class Parser:
    """Understands one message against the factory's catalogue; ``now`` resolves 上个月 and friends."""

    def __init__(self, org: Org, *, extra_customers: tuple[str, ...] = ()) -> None:
        self.catalog = Catalog(org, extra_customers=extra_customers)

    def __call__(self, text: str, now: datetime) -> Understood:
        return self.parse(text, now)

    def parse(self, text: str, now: datetime) -> Understood:
        """The intent of ``text`` and the fields it states (absent fields are omitted)."""
        t = LEADING_NOISE.sub("", normalise(text))
        if not t:
            return Understood("unknown")
        bare = re.sub(r"^[\s!.?。~]+|[\s!.?。~]+$", "", t)
        if CANCEL.match(bare):
            return Understood("cancel")
        if HELP.match(bare) or (len(bare) <= 16 and HELP_LOOSE.search(bare)):
            return Understood("help")

        spans: list[tuple[int, int]] = []
        ks = KS_NUMBER.search(t)
        rma = RMA_NUMBER.search(t)
        for m in (ks, rma):
            if m:
                spans.append(m.span())
        order = ORDER_NO.search(_blank(t, spans))
        if order:
            spans.append(order.span())
        masked = _blank(t, spans)
        found = _Found(self.catalog.customer(masked), None)
        if found.customer:
            spans.append((found.customer.start, found.customer.end))
        found = _Found(found.customer, self.catalog.product(_blank(t, spans)))
        product_value: str | None = found.product.value if found.product else None
        if found.product:
            spans.append((found.product.start, found.product.end))
        qty = _quantity(_blank(t, spans))
        if qty:
            spans.append(qty[1])
        if product_value is None:
            code = MODEL_CODE.search(_blank(t, spans))
            if code and not re.fullmatch(r"(?i)(ks|rma|so|mo|po)\d*", code.group(1).replace("-", "")):
                product_value = re.sub(r"[_ ]", "-", code.group(1).upper())
                spans.append(code.span())
        customer = found.customer.value if found.customer else None
        if customer is None:
            customer = _new_customer(_blank(t, spans))
            if customer:
                i = t.find(customer)
                if i >= 0:
                    spans.append((i, i + len(customer)))

        slots: dict[str, Any] = {}
        intent = self._intent(t, has_number=bool(ks or rma), customer=customer, product=product_value, qty=qty)
        if intent == "query_status":
            if ks:
                slots["complaint_no"] = _ks(ks)
            if rma:
                slots["rma_no"] = _rma(rma)
            if not ks and not rma and customer:
                slots["customer"] = customer
        elif intent == "monthly_summary":
            month = _month(t, now)
            if month:
                slots["month"] = month
        elif intent == "record_visit":
            visit = VISIT_CUSTOMER.search(t)
            name = customer or (_clean_name(visit.group(1)) if visit else None)
            if name:
                slots["customer"] = name
        elif intent == "request_return":
            if ks:
                slots["complaint_no"] = _ks(ks)
            self._goods(slots, customer, product_value, qty, order)
        elif intent == "log_complaint":
            self._goods(slots, customer, product_value, qty, order)
            defect = _defect(_blank(t, spans))
            if defect:
                slots["defect"] = defect
            slots["severity"] = "urgent" if URGENT.search(t) else "normal"
        return Understood(intent, slots)

    @staticmethod
    def _goods(
        slots: dict[str, Any],
        customer: str | None,
        product: str | None,
        qty: tuple[int, tuple[int, int]] | None,
        order: re.Match[str] | None,
    ) -> None:
        if customer:
            slots["customer"] = customer
        if product:
            slots["product"] = product
        if qty:
            slots["quantity"] = qty[0]
        if order:
            slots["order_no"] = re.sub(r"[_ ]", "", order.group(1).upper())

    @staticmethod
    def _intent(t: str, *, has_number: bool, customer: str | None, product: str | None, qty: object) -> str:
        complaint = bool(COMPLAINT.search(t))
        defect = bool(DEFECT.search(t))
        if TASKS.search(t) and not has_number:
            return "my_tasks"
        if (
            SUMMARY.search(t)
            and not has_number
            and (_has_month_words(t) or re.search(r"(投诉|客诉|退货|抱怨|反馈)", t))
            and not (defect and (product or qty))
        ):
            return "monthly_summary"
        if RMA_NUMBER.search(t):
            return "query_status"
        returning = RETURN_STRONG.search(t)
        if has_number:
            if returning and not STATUS.search(t):
                return "request_return"
            return "query_status"
        if STATUS.search(t) and (customer or re.search(r"(投诉|客诉|那单|这单|单子|那批|退货)", t)) and not qty:
            return "query_status"
        if returning and not (complaint and defect and not re.search(r"(申请|要|安排|办|想)", t)):
            return "request_return"
        if VISIT.search(t):
            return "record_visit"
        if NEGATIVE.search(t) and not complaint and not defect:
            return "unknown"
        if complaint or (defect and (customer or product or qty)):
            return "log_complaint"
        return "unknown"


def _has_month_words(t: str) -> bool:
    return bool(
        re.search(
            r"(本月|这个?月|当月|上上?个?月|\d{1,2}\s*月|[一二三四五六七八九十]{1,3}月|last month|this month)", t, re.I
        )
    )
