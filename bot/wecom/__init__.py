"""WeCom (企业微信) adapter: a self-built app's callback and API, translated to and from the neutral protocol."""

from __future__ import annotations

from bot.protocol import Platform, PlatformDeps


def make_platform(deps: PlatformDeps) -> Platform | None:
    """The WeCom platform when its settings are present (KESU_WECOM_*), else None."""
    return None
