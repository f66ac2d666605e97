"""`kesu feishu …`: administration commands for the Feishu app."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import typer

app = typer.Typer(help="Feishu (飞书) administration.", no_args_is_help=True)

_SLUG = re.compile(r"[^a-z0-9_]+")


def _q(value: str) -> str:
    """A TOML basic string."""
    return json.dumps(value, ensure_ascii=False)


def _ids(values: list[tuple[str, str]], prefix: str) -> dict[str, str]:
    """Readable, unique config ids: the platform's own id when it is a plain word, else prefix + number."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for n, (key, preferred) in enumerate(values, 1):
        slug = _SLUG.sub("_", preferred.lower()).strip("_")
        candidate = slug if slug and not slug[0].isdigit() and len(slug) <= 32 else f"{prefix}{n}"
        while candidate in used:
            candidate = f"{candidate}_{n}"
        used.add(candidate)
        out[key] = candidate
    return out


def fragment(departments: list[dict[str, Any]], users: list[dict[str, Any]]) -> str:
    """A kesu.toml fragment: ``[[departments]]`` and ``[[people]]`` with each person's Feishu open_id.

    Roles cannot be read from Feishu: every person gets ``roles = ["dept"]`` and a comment to set them.
    """
    dept_ids = _ids([(d["open_department_id"], str(d.get("department_id") or "")) for d in departments], "d")
    people: dict[str, dict[str, Any]] = {}
    for u in users:
        people.setdefault(str(u["open_id"]), u)
    person_ids = _ids([(oid, str(u.get("user_id") or "")) for oid, u in people.items()], "p")
    lines = ["# Imported from Feishu by `kesu feishu sync`. Set each person's roles before use."]
    for d in departments:
        lines += ["", "[[departments]]", f"id = {_q(dept_ids[d['open_department_id']])}", f"name = {_q(d['name'])}"]
        head = person_ids.get(str(d.get("leader_user_id") or ""))
        if head:
            lines.append(f"head = {_q(head)}")
    for oid, u in people.items():
        lines += ["", "[[people]]", f"id = {_q(person_ids[oid])}", f"name = {_q(u['name'])}"]
        lines.append('roles = ["dept"]  # TODO: sales, qa, qa_manager, cs_manager, vp, gm, warehouse, …')
        dept = next((dept_ids[x] for x in u.get("department_ids") or [] if x in dept_ids), None)
        if dept:
            lines.append(f"department = {_q(dept)}")
        manager = person_ids.get(str(u.get("leader_user_id") or ""))
        if manager and manager != person_ids[oid]:
            lines.append(f"manager = {_q(manager)}")
        lines.append(f"feishu = {_q(oid)}")
    return "\n".join(lines) + "\n"


def read_contacts(paged: Callable[..., list[dict[str, Any]]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every department under the root and every user in the root and those departments (contacts API)."""
    common = {"department_id_type": "open_department_id", "user_id_type": "open_id", "page_size": 50}
    departments = paged(
        "/open-apis/contact/v3/departments/0/children", {**common, "fetch_child": "true"}, what="departments"
    )
    users: list[dict[str, Any]] = []
    for dept in ["0", *(str(d["open_department_id"]) for d in departments)]:
        users += paged(
            "/open-apis/contact/v3/users/find_by_department", {**common, "department_id": dept}, what="users"
        )
    return departments, users


@app.command()
def sync() -> None:
    """Print a kesu.toml fragment with the departments and people of the Feishu contacts (open_ids
    included). Needs KESU_FEISHU_APP_ID / _APP_SECRET and the contact:contact.base:readonly scope."""
    from contextlib import AbstractContextManager

    from bot.config import Settings
    from bot.feishu.client import FeishuClient, FeishuError

    settings = Settings()
    if not settings.feishu_on:
        typer.echo("KESU_FEISHU_APP_ID 和 KESU_FEISHU_APP_SECRET 未设置", err=True)
        raise typer.Exit(2)

    class _Memory(AbstractContextManager["_Memory"]):
        """A token store in memory: `sync` needs no database."""

        token_value: tuple[str, datetime] | None = None

        def __init__(self) -> None:
            self.platform = self

        def token(self, platform: str, *, now: datetime) -> str | None:
            held = _Memory.token_value
            return held[0] if held and held[1] > now else None

        def save_token(self, platform: str, token: str, *, expires_at: datetime) -> None:
            _Memory.token_value = (token, expires_at)

        def commit(self) -> None:
            pass

        def __exit__(self, *exc: object) -> None:
            return None

    client = FeishuClient(
        app_id=str(settings.feishu_app_id),
        app_secret=str(settings.feishu_app_secret),
        domain=settings.feishu_domain,
        uow=_Memory,  # type: ignore[arg-type]
        now=lambda: datetime.now(UTC),
    )
    try:
        departments, users = read_contacts(client.paged)
    except FeishuError as e:
        typer.echo(f"读取飞书通讯录失败:{e}", err=True)
        raise typer.Exit(1) from None
    finally:
        client.close()
    typer.echo(fragment(departments, users), nl=False)
