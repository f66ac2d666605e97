"""Platform tokens and card copies in ``platform_token`` and ``card_copy`` (implements ``core.ports.PlatformState``)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from storage.db import upsert
from storage.tables import CardCopyRow, PlatformTokenRow


class SqlPlatformState:
    """Tokens and card copies in ``platform_token`` and ``card_copy``."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def token(self, platform: str, *, now: datetime) -> str | None:
        row = self.session.get(PlatformTokenRow, platform, populate_existing=True)
        return row.token if row and row.expires_at > now else None

    def save_token(self, platform: str, token: str, *, expires_at: datetime) -> None:
        table = PlatformTokenRow.__table__  # type: ignore[attr-defined]
        stmt = (
            upsert(self.session)(table)
            .values(platform=platform, token=token, expires_at=expires_at)
            .on_conflict_do_update(index_elements=["platform"], set_={"token": token, "expires_at": expires_at})
        )
        self.session.execute(stmt)

    def remember_copy(self, platform: str, *, recipient: str, card_id: str, ref: str, now: datetime) -> None:
        table = CardCopyRow.__table__  # type: ignore[attr-defined]
        stmt = (
            upsert(self.session)(table)
            .values(platform=platform, recipient=recipient, card_id=card_id, ref=ref, created_at=now)
            .on_conflict_do_update(index_elements=["platform", "recipient", "card_id"], set_={"ref": ref})
        )
        self.session.execute(stmt)

    def copy_of(self, platform: str, *, recipient: str, card_id: str) -> str | None:
        row = self.session.exec(
            select(CardCopyRow).where(
                CardCopyRow.platform == platform, CardCopyRow.recipient == recipient, CardCopyRow.card_id == card_id
            )
        ).first()
        return row.ref if row else None
