"""The attack suite's harness: Kesu behind its real WeCom and Feishu webhooks (the platforms' own test harnesses),
and a snapshot of every table, so a test shows that a refused request stored and changed nothing.

One database and one Kesu serve a whole module (per database kind): each attack compares the tables just before
and just after its own request, so a request stored by an earlier test does not hide a later one's, and the
suite stays fast enough to run on every push.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from bot.web import create_app
from bot.wiring import build
from storage.db import make_engine
from storage.migrate import upgrade
from tests.conftest import TABLES
from tests.feishu import fake as f
from tests.feishu.conftest import FeishuBot, feishu_settings
from tests.wecom.conftest import EXAMPLE, WeCom, wecom_settings
from tests.wecom.fake_wecom import running_fake

Snapshot = dict[str, list[tuple[str, ...]]]
_metadata: dict[str, sa.MetaData] = {}


def snapshot(engine: sa.Engine) -> Snapshot:
    """Every row of every table (Alembic's own aside), as sorted tuples of text: equal snapshots mean nothing was
    stored, changed or deleted."""
    key = engine.url.render_as_string(hide_password=False)
    if key not in _metadata:
        meta = sa.MetaData()
        meta.reflect(engine)
        _metadata[key] = meta
    out: Snapshot = {}
    with engine.connect() as conn:
        for name, table in sorted(_metadata[key].tables.items()):
            if name != "alembic_version":
                out[name] = sorted(tuple(repr(v) for v in row) for row in conn.execute(sa.select(table)))
    return out


def stored_rows(engine: sa.Engine, *, ignore: frozenset[str] = frozenset()) -> int:
    """How many rows all tables hold (but ``ignore``), in one query: the fuzz runs' cheap check on an empty
    database."""
    key = engine.url.render_as_string(hide_password=False)
    if key not in _metadata:
        snapshot(engine)
    tables = [t for n, t in _metadata[key].tables.items() if n != "alembic_version" and n not in ignore]
    total = sum((sa.select(sa.func.count()).select_from(t).scalar_subquery() for t in tables), sa.literal(0))
    with engine.connect() as conn:
        return int(conn.execute(sa.select(total)).scalar_one())


def changed(before: Snapshot, after: Snapshot) -> dict[str, int]:
    """Tables whose rows differ, with the number of rows added (negative: removed)."""
    return {t: len(after[t]) - len(before[t]) for t in after if after[t] != before.get(t)}


def no_detail(resp: Any) -> None:
    """An answer to a machine: no traceback, exception name or internal reason."""
    for word in ("Traceback", "Exception", "Error", 'File "'):
        assert word not in resp.text, resp.text


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def module_db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """An empty, migrated database of each kind for one test module."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('attack') / 'kesu.db'}"
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        return url
    pg_url: str = request.getfixturevalue("postgres_url")
    engine = make_engine(pg_url)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"TRUNCATE {TABLES} RESTART IDENTITY")
    engine.dispose()
    return pg_url


@pytest.fixture(scope="module")
def wecom(module_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WeCom]:
    """Kesu with WeCom on (the example org, the qa group as an app chat), the harness that encrypts callbacks
    exactly as WeCom does, and a fake WeCom API of its own (the fake remembers what it accepted, as WeCom's
    duplicate check does: a fresh database must meet a fresh fake)."""
    config = tmp_path_factory.mktemp("wecom") / "kesu.toml"
    config.write_text(EXAMPLE.read_text(encoding="utf-8").replace('feishu = "oc_qa"', 'wecom = "wrqa"'), "utf-8")
    with running_fake() as (fake, api_base):
        kesu = build(wecom_settings(module_db, api_base, Path(config)))
        harness = WeCom(kesu, fake)
        try:
            yield harness
        finally:
            harness.http.close()
            kesu.close()


@pytest.fixture(scope="module")
def feishu(module_db: str) -> Iterator[FeishuBot]:
    """Kesu with Feishu as its only platform (the demo org), behind its real webhooks, and a fake Feishu of its
    own (the fake remembers message uuids, as Feishu does: a fresh database must meet a fresh fake)."""
    with contextmanager(f.FakeFeishu().serve)() as fake:
        kesu = build(feishu_settings(module_db, fake.url))
        with TestClient(create_app(kesu, worker=False)) as http:
            yield FeishuBot(kesu=kesu, http=http, fake=fake, db_url=module_db)
        kesu.close()
