"""Media bytes in ``media`` (implements ``core.ports.MediaStore``)."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime

from sqlmodel import Session

from storage.tables import MediaRow


class SqlMedia:
    """Media bytes in the ``media`` table."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def put(self, data: bytes, *, content_type: str, now: datetime) -> str:
        media_id = uuid.uuid4().hex
        digest = hashlib.sha256(data).hexdigest()
        self.session.add(
            MediaRow(id=media_id, content_type=content_type, size=len(data), sha256=digest, data=data, created_at=now)
        )
        self.session.flush()
        return media_id

    def get(self, media_id: str) -> tuple[str, bytes] | None:
        row = self.session.get(MediaRow, media_id)
        return (row.content_type, row.data) if row else None
