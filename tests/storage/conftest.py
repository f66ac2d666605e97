"""The storage tests' Kesu: built on each test's database (``db_url``, already migrated)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.config import Settings
from bot.wiring import Kesu, build


@pytest.fixture
def kesu(db_url: str) -> Iterator[Kesu]:
    k = build(Settings(database_url=db_url, config=None), migrate=False)
    yield k
    k.close()
