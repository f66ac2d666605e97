"""``kesu serve --feishu-ws``: Feishu events over lark-oapi's long connection, for a factory without a public URL.

lark's ``ws.Client`` (1.7.5) keeps a module-level event loop made at import time, blocks in ``start()``
forever, and has no ``stop()`` (``../shared/reference/feishu.md`` §3.4). So the client runs in a thread of its
own with a loop of its own (patched into the module before the client is built), and stopping it
disconnects through that loop, then stops the loop. Frames reach ``FeishuRoutes.on_frame`` — the same
storing, deduplication and tap decisions as the webhooks: the client calls ``_do_without_validation`` on
its event handler, which is all this module's handler provides.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)


class _Handler:
    """What lark's ws client calls for each event frame (the connection is authenticated: no signature)."""

    def __init__(self, on_frame: Callable[[bytes], dict[str, Any] | None]) -> None:
        self.on_frame = on_frame

    def _do_without_validation(self, payload: bytes) -> dict[str, Any] | None:
        return self.on_frame(payload)


class LongConnection:
    """The lark WebSocket client in its own thread and event loop, with a clean stop."""

    def __init__(
        self, *, app_id: str, app_secret: str, domain: str, on_frame: Callable[[bytes], dict[str, Any] | None]
    ) -> None:
        self.app_id = app_id
        self.app_secret = app_secret
        self.domain = domain
        self.handler = _Handler(on_frame)
        self.loop: asyncio.AbstractEventLoop | None = None
        self.client: Any = None
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, name="kesu-feishu-ws", daemon=True)

    def start(self) -> Callable[[], None]:
        """Connect in the background; returns ``stop``."""
        self.thread.start()
        self.ready.wait(timeout=10)
        return self.stop

    def _run(self) -> None:
        import lark_oapi as lark
        import lark_oapi.ws.client as wsmod

        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        wsmod.loop = loop  # the client schedules everything on this module global
        self.loop = loop
        try:
            self.client = wsmod.Client(
                self.app_id,
                self.app_secret,
                event_handler=self.handler,
                domain=self.domain,
                auto_reconnect=True,
                log_level=lark.LogLevel.WARNING,
            )
        finally:
            self.ready.set()
        try:
            self.client.start()
        except (RuntimeError, asyncio.CancelledError):
            pass  # stop() cancelled the client's tasks and stopped the loop: the normal end
        except Exception:
            log.exception("Feishu long connection ended")
        finally:
            loop.close()

    def stop(self) -> None:
        """Disconnect (no reconnecting), cancel the client's tasks, stop the loop; wait (bounded) for the thread."""
        loop, client = self.loop, self.client
        if loop is None or loop.is_closed() or not self.thread.is_alive():
            return

        async def shutdown() -> None:
            # The client's tasks first (receiving, pinging: cancelled, they neither reconnect nor race the
            # disconnect for its lock), then the connection, closed cleanly.
            me = asyncio.current_task()
            # start() waits on its _select() task: left alone, so the loop stops under it (below), not earlier.
            tasks = [
                t for t in asyncio.all_tasks() if t is not me and getattr(t.get_coro(), "__name__", "") != "_select"
            ]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if client is not None:
                client._auto_reconnect = False
                await client._disconnect()

        try:
            asyncio.run_coroutine_threadsafe(shutdown(), loop).result(timeout=5)
        except Exception as e:
            log.warning("Feishu long connection: disconnect failed: %r", e)
        with contextlib.suppress(RuntimeError):  # already closed: the client ended by itself
            loop.call_soon_threadsafe(loop.stop)
        self.thread.join(timeout=10)
