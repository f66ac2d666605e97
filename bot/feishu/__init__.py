"""Feishu (飞书) adapter: event and card callbacks and the open-platform API, translated to and from the
neutral protocol."""

from __future__ import annotations

import logging
from collections.abc import Callable

from bot.protocol import Platform, PlatformDeps

log = logging.getLogger(__name__)


def make_platform(deps: PlatformDeps) -> Platform | None:
    """The Feishu platform when its settings are present (KESU_FEISHU_*), else None."""
    settings = deps.settings
    if not settings.feishu_on:
        return None
    # lark-oapi takes seconds to import: only when Feishu is on. Its AESCipher decrypts the requests.
    from lark_oapi.core.utils.decryptor import AESCipher

    from bot.feishu.client import FeishuClient, FeishuSender
    from bot.feishu.parse import Keys
    from bot.feishu.routes import FeishuRoutes

    keys = Keys(
        encrypt_key=settings.feishu_encrypt_key or None,
        verification_token=settings.feishu_verification_token,
        app_id=settings.feishu_app_id,
    )
    if not keys.verification_token and not keys.encrypt_key:
        log.warning("KESU_FEISHU_VERIFICATION_TOKEN and KESU_FEISHU_ENCRYPT_KEY are unset: Feishu requests are refused")
    cipher = AESCipher(keys.encrypt_key or "-")
    client = FeishuClient(
        app_id=settings.feishu_app_id,
        app_secret=settings.feishu_app_secret,
        domain=settings.feishu_domain,
        uow=deps.uow,
        now=deps.now,
    )
    org = deps.org
    choices = {
        "department": tuple((d.id, d.name) for d in org.departments),
        "deputy": tuple((p.id, p.name) for p in org.people),
    }
    routes = FeishuRoutes(
        deps=deps,
        client=client,
        keys=keys,
        decrypt=cipher.decrypt_str,
        choices=choices,
    )

    def connect() -> Callable[[], None]:
        from bot.feishu.ws import LongConnection

        return LongConnection(
            app_id=settings.feishu_app_id,
            app_secret=settings.feishu_app_secret,
            domain=settings.feishu_domain,
            on_frame=routes.on_frame,
        ).start()

    return Platform(
        name="feishu",
        router=routes.router(),
        sender=FeishuSender(client, deps.accounts, choices=choices),
        connect=connect,
    )
