"""Local channel: what a person typed or tapped on the command line → a neutral InboundEvent."""

from __future__ import annotations

import uuid
from datetime import datetime

from bot.protocol import Click, InboundEvent

PLATFORM = "local"


MAX_IMAGE_BYTES = 10 * 1024 * 1024
IMAGE_SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"BM", "image/bmp"),
)


def image_type(data: bytes) -> str | None:
    """The image type from the file's first bytes (JPEG, PNG, GIF, BMP, WebP, HEIC), or None."""
    for signature, content_type in IMAGE_SIGNATURES:
        if data.startswith(signature):
            return content_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1"):
        return "image/heic"
    return None


def say_event(
    *,
    user: str,
    text: str | None,
    now: datetime,
    chat: str | None = None,
    image: str | None = None,
    key: str | None = None,
) -> InboundEvent:
    """A text message (or a photo, by its stored media id) from ``user`` (in ``chat`` when given)."""
    return InboundEvent(
        platform=PLATFORM, event_key=key or uuid.uuid4().hex, user=user, at=now, chat=chat, text=text, image=image
    )


def click_event(
    *, user: str, card_id: str, action: str, values: dict[str, str], now: datetime, key: str | None = None
) -> InboundEvent:
    """A tap on ``action`` of card ``card_id`` with the inputs ``values``."""
    return InboundEvent(
        platform=PLATFORM,
        event_key=key or uuid.uuid4().hex,
        user=user,
        at=now,
        click=Click(card_id=card_id, action=action, values=values),
    )
