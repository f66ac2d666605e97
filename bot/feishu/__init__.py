"""Feishu (飞书) adapter: event and card callbacks and the open-platform API, translated to and from the
neutral protocol."""

from __future__ import annotations

from bot.protocol import Platform, PlatformDeps


def make_platform(deps: PlatformDeps) -> Platform | None:
    """The Feishu platform when its settings are present (KESU_FEISHU_*), else None."""
    return None
