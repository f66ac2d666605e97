"""WeCom (企业微信) adapter: a self-built app's callback and API, translated to and from the neutral protocol."""

from __future__ import annotations

from bot.protocol import Platform, PlatformDeps
from bot.wecom.client import WeComClient
from bot.wecom.routes import make_router
from bot.wecom.sender import DbTokens, WeComSender


def make_platform(deps: PlatformDeps) -> Platform | None:
    """The WeCom platform when its settings are present (KESU_WECOM_*), else None."""
    s = deps.settings
    if not s.wecom_on:
        return None
    if not str(s.wecom_agent_id).isdigit():
        raise ValueError("KESU_WECOM_AGENT_ID 应为数字(应用的 AgentId)")
    if len(str(s.wecom_aes_key)) != 43:
        raise ValueError("KESU_WECOM_AES_KEY 应为 43 个字符(回调配置中的 EncodingAESKey)")
    client = WeComClient(
        api_base=s.wecom_api_base,
        corp_id=s.wecom_corp_id,
        secret=s.wecom_secret,
        agent_id=s.wecom_agent_id,
        tokens=DbTokens(deps.uow, deps.now),
    )
    sender = WeComSender(client=client, accounts=deps.accounts, uow=deps.uow, now=deps.now)
    return Platform(name="wecom", router=make_router(deps, client), sender=sender)
