"""Problem types (问题类型) of PROCEDURE §1.7: QA classifies every form; Kesu suggests one from the defect text."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ProblemType:
    """A defect category: ``id`` (stable, in reports), ``name`` (shown), words that suggest it."""

    id: str
    name: str
    keywords: tuple[str, ...] = ()


OTHER = "other"

DEFAULT_PROBLEMS: tuple[ProblemType, ...] = (
    ProblemType(
        "appearance",
        "外观",
        ("划伤", "刮花", "划痕", "脏污", "污渍", "色差", "颜色", "变形", "毛刺", "气泡", "掉漆", "生锈", "外观"),
    ),
    ProblemType("dimension", "尺寸", ("尺寸", "偏大", "偏小", "公差", "装不上", "孔位", "长度", "厚度", "间隙")),
    ProblemType(
        "function",
        "功能",
        (
            "不工作",
            "死机",
            "不亮",
            "失效",
            "无法",
            "不通电",
            "短路",
            "断路",
            "故障",
            "卡死",
            "不转",
            "裂纹",
            "开裂",
            "断裂",
            "功能",
        ),
    ),
    ProblemType(
        "performance", "性能", ("噪音", "异响", "发热", "温度", "寿命", "漏电", "耐压", "亮度", "效率", "性能")
    ),
    ProblemType("packaging", "包装", ("包装", "破损", "受潮", "压坏", "纸箱", "隔层")),
    ProblemType("marking", "标识", ("标签", "标识", "丝印", "条码", "印刷", "唛头")),
    ProblemType("delivery", "交期", ("交期", "延迟", "晚到", "逾期", "未到货", "延误")),
    ProblemType("shipping", "少发/错发", ("少发", "错发", "漏发", "混料", "数量不足", "发错")),
    ProblemType(OTHER, "其他"),
)


def suggest(text: str | None, types: tuple[ProblemType, ...] = DEFAULT_PROBLEMS) -> str:
    """The first type whose words appear in ``text`` (in list order), else ``other`` (or the last type)."""
    for t in types:
        if text and any(k in text for k in t.keywords):
            return t.id
    return OTHER if any(t.id == OTHER for t in types) else types[-1].id


def find(key: str, types: tuple[ProblemType, ...] = DEFAULT_PROBLEMS) -> ProblemType | None:
    """A type by id or by name (as people type it)."""
    key = key.strip()
    return next((t for t in types if key in (t.id, t.name)), None)


def label(problem_id: str | None, types: tuple[ProblemType, ...] = DEFAULT_PROBLEMS) -> str:
    """The name of ``problem_id`` (未分类 when none)."""
    found = next((t for t in types if t.id == problem_id), None) if problem_id else None
    return found.name if found else (problem_id or "未分类")
