"""What every webhook does before its platform's own checks: read the body, refused past ``MAX_BODY``."""

from __future__ import annotations

from fastapi import Request

MAX_BODY = 1024 * 1024  # no callback of WeCom's or Feishu's comes near it


async def read_body(request: Request, limit: int = MAX_BODY) -> bytes | None:
    """The request's body; None (answer 413) when it is larger than ``limit``, found out from the declared
    length or while reading, without reading the rest."""
    declared = request.headers.get("content-length")
    # isascii: "²".isdigit() is True but int("²") raises (a 500 before the signature was even checked).
    if declared and declared.isascii() and declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)
