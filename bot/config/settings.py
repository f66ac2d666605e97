"""Process settings from the environment (``KESU_*`` variables)."""

from __future__ import annotations

from pathlib import Path

from pydantic import field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Process settings from the environment: ``KESU_DATABASE_URL`` and ``KESU_CONFIG``.

    Nothing is read at import time; the environment is read when ``Settings()`` is constructed.
    """

    model_config = SettingsConfigDict(env_prefix="KESU_")

    database_url: str = "sqlite:///kesu.db"
    config: Path | None = None
    # WeCom self-built app: on when corp id, agent id, secret, token and AES key are all set.
    wecom_corp_id: str | None = None
    wecom_agent_id: str | None = None
    wecom_secret: str | None = None
    wecom_token: str | None = None
    wecom_aes_key: str | None = None
    wecom_api_base: str = "https://qyapi.weixin.qq.com/cgi-bin/"
    # Feishu app: on when app id and app secret are set.
    feishu_app_id: str | None = None
    feishu_app_secret: str | None = None
    feishu_verification_token: str | None = None
    feishu_encrypt_key: str | None = None
    feishu_domain: str = "https://open.feishu.cn"

    @property
    def wecom_on(self) -> bool:
        """All five WeCom settings are present."""
        values = (self.wecom_corp_id, self.wecom_agent_id, self.wecom_secret, self.wecom_token, self.wecom_aes_key)
        return all(values)

    @property
    def feishu_on(self) -> bool:
        """The Feishu app id and secret are present."""
        return bool(self.feishu_app_id and self.feishu_app_secret)

    @field_validator("config", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        """``KESU_CONFIG=`` (empty) means "no config file", not the current directory."""
        if isinstance(value, str) and not value.strip():
            return None
        return value
