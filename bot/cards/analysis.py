"""The 退货分析改善报告 card for QA: why it is due, the returns it covers, the analysis to write."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.protocol import Button, Card, CardField, Input
from core import kinds
from core.analysis import AnalysisState, ReturnAnalysis
from core.org import Org


def card_id(a: ReturnAnalysis) -> str:
    """The report's id and version."""
    return kinds.ANALYSIS.card_id(a.id, a.version)


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
