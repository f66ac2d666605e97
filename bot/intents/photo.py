"""Photos: attached to the sender's open draft, or to the form they submitted in the last 10 minutes;
the warehouse's photos go to the return they just received."""

from __future__ import annotations

from bot.context import Context, IntentRouter, Understood
from core import complaint_flow, return_flow
from core.errors import NotFound

router = IntentRouter()

NO_FORM = "收到图片。要登记客诉,请先用文字描述:客户、产品、问题和数量,再发照片。"


@router.intent("photo")
def photo(ctx: Context, understood: Understood) -> None:
    """Attach the stored photo, or say how to use it."""
    media_id = str(understood.slots["media_id"])
    if ctx.uow.media.get(media_id) is None:
        raise NotFound("图片没有收到完整,请重发。")
    ret = return_flow.attach_photo(ctx.uow, org=ctx.org, person_id=ctx.event.user, media_id=media_id, now=ctx.now)
    if ret is not None:
        ctx.reply(f"照片已附到 {ret.label}(共 {len(ret.photos)} 张)。")
        return
    form = complaint_flow.attach_photo(ctx.uow, org=ctx.org, person_id=ctx.event.user, media_id=media_id, now=ctx.now)
    if form is None:
        ctx.reply(NO_FORM)
        return
    ctx.reply(f"照片已附到{form.label}(共 {len(form.photos)} 张)。")
