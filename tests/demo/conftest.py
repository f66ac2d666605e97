"""A `kesu demo` app on a fresh SQLite database, with its clock starting on Monday 2026-11-23 09:00."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI

from bot.config import Settings
from bot.demo.app import create_demo_app
from bot.wiring import build

START = "2026-11-23T09:00"


@pytest.fixture
def demo_app(tmp_path: Path) -> Iterator[FastAPI]:
    """The simulator's app (built as `kesu demo --now 2026-11-23T09:00` builds it)."""
    kesu = build(Settings(database_url=f"sqlite:///{tmp_path / 'kesu.db'}", config=None))
    start = datetime.fromisoformat(START).replace(tzinfo=kesu.config.timezone)
    try:
        yield create_demo_app(kesu, start=start)
    finally:
        kesu.close()


@pytest.fixture
def demo_url(demo_app: FastAPI) -> Iterator[str]:
    """The simulator served by uvicorn on a free local port, as `kesu demo` serves it. The socket listens before
    the server thread starts, so the first request simply waits in the backlog."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    server = uvicorn.Server(uvicorn.Config(demo_app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
