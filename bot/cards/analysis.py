"""The 退货分析改善报告 card for QA: why it is due, the returns it covers, the analysis to write."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from bot.protocol import Button, Card, CardField, Input
from core.analysis import AnalysisState, ReturnAnalysis
from core.limits import record_numbers
from core.org import Org

CARD_ID = re.compile(r"^ra(\d+)v(\d+)$")


def card_id(a: ReturnAnalysis) -> str:
    """ra<id>v<version>."""
    return f"ra{a.id}v{a.version}"


def parse_card_id(value: str) -> tuple[int, int] | None:
    """(report id, version) from a card id, or None."""
    ids = record_numbers(CARD_ID, value)
    return (ids[0], ids[1]) if ids else None


def card(a: ReturnAnalysis, org: Org, tz: ZoneInfo) -> Card:
    """Open: the inputs and 提交; done: what was written."""
    fields = [
        CardField("原因", a.why),
        CardField("产品", a.product),
        CardField("退货单", "、".join(a.returns)),
        CardField("截止", f"{a.due_at.astimezone(tz):%m-%d %H:%M}"),
        CardField("负责人", org.name_of(a.owner)),
    ]
    if a.state is AnalysisState.DONE:
        fields += [CardField("原因分析", a.analysis or ""), CardField("改善措施", a.actions or "—")]
        return Card(id=card_id(a), title=f"{a.label} 退货分析改善报告(已提交)", fields=tuple(fields))
    return Card(
        id=card_id(a),
        title=f"{a.label} 退货分析改善报告",
        fields=tuple(fields),
        actions=(Button("submit", "提交报告"),),
        inputs=(Input("analysis", "原因分析", required=True), Input("actions", "改善措施")),
    )
