"""``help``: a short answer that tells people what Kesu can do."""

from __future__ import annotations

from bot.context import Context, IntentRouter, Understood

router = IntentRouter()

HELP = (
    "我是客诉助手 Kesu,可以这样用:\n"
    "· 登记客诉:明辉电子投诉X200外壳划伤,200个,急(缺什么我会问)\n"
    "· 改草稿:客户改成美的 / 数量改为300\n"
    "· 发照片:登记后直接发,会附到这张单上\n"
    "· 查进度:KS-202611-0001 进度\n"
    "· 我的待办:待办\n"
    "· 申请退货:申请退货 KS-202611-0001 200个\n"
    "· 合同评审:合同评审 美的 P40 5000个 12月20日交货 要求RoHS\n"
    "· 拜访记录:拜访明辉电子,客户提出:1.交期太长 2.包装要改进\n"
    "· 月报(品质部和管理层):上个月客诉月报 / 10月客诉统计\n"
    "· 取消草稿:取消\n"
    "卡片上的按钮一点即可处理。"
)


@router.intent("help")
def help_(ctx: Context, understood: Understood) -> None:
    """What Kesu understands."""
    ctx.reply(HELP)
