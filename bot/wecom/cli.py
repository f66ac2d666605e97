"""`kesu wecom …`: administration commands for the WeCom app (create a group chat, import the contacts)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from bot.config import ConfigError, KesuConfig, Settings, load_config
from bot.wecom.client import MemoryTokens, WeComClient, WeComError
from core.org import ChatPurpose, Role

app = typer.Typer(help="WeCom (企业微信) administration.", no_args_is_help=True)

ConfigOption = Annotated[
    Path | None, typer.Option("--config", help="Path of kesu.toml (default: KESU_CONFIG, else the demo org).")
]

# Who belongs in each purpose's group when --member is not given.
PURPOSE_ROLES: dict[ChatPurpose, frozenset[Role]] = {
    ChatPurpose.QA: frozenset({Role.QA, Role.QA_MANAGER}),
    ChatPurpose.MGMT: frozenset({Role.QA_MANAGER, Role.CS_MANAGER, Role.VP, Role.GM}),
    ChatPurpose.SALES: frozenset({Role.SALES, Role.CS_MANAGER}),
}


def _fail(message: str) -> NoReturn:
    typer.echo(message, err=True)
    raise typer.Exit(code=1)


def _client(settings: Settings) -> WeComClient:
    """An API client from KESU_WECOM_*; a clear error when they are missing."""
    missing = [
        f"KESU_WECOM_{name.upper()}"
        for name in ("corp_id", "agent_id", "secret")
        if not getattr(settings, f"wecom_{name}")
    ]
    if missing:
        _fail("缺少企业微信配置:" + "、".join(missing) + "(请在环境变量中设置)")
    assert settings.wecom_corp_id and settings.wecom_secret and settings.wecom_agent_id
    if not settings.wecom_agent_id.isdigit():
        _fail("KESU_WECOM_AGENT_ID 应为数字(应用的 AgentId)")
    return WeComClient(
        api_base=settings.wecom_api_base,
        corp_id=settings.wecom_corp_id,
        secret=settings.wecom_secret,
        agent_id=settings.wecom_agent_id,
        tokens=MemoryTokens(lambda: datetime.now(UTC)),
    )


def _config(config: Path | None) -> KesuConfig:
    settings = Settings()
    try:
        return load_config(config or settings.config)
    except ConfigError as e:
        _fail("配置有误:\n" + "\n".join(e.problems))


@app.command("create-group")
def create_group(
    purpose: Annotated[str, typer.Argument(help="The chat purpose in kesu.toml: qa, mgmt or sales.")],
    member: Annotated[
        list[str] | None, typer.Option("--member", help="Person id to add (repeat); default: by role for the purpose.")
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Create an app group chat (appchat) for a purpose and print the chatid to put into kesu.toml."""
    client = _client(Settings())
    cfg = _config(config)
    org = cfg.org
    try:
        kind = ChatPurpose(purpose)
    except ValueError:
        _fail(f"未知的群用途「{purpose}」,可选:" + "、".join(p.value for p in ChatPurpose))
    chat = org.chat_for(kind)
    name = chat.name if chat else f"Kesu {kind.value}"
    ids = member or [p.id for p in org.people if p.roles & PURPOSE_ROLES[kind]]
    users = []
    for person_id in ids:
        account = cfg.accounts.account("wecom", person_id)
        if account is None:
            _fail(f"未知的人员「{person_id}」")
        users.append(account)
    if len(users) < 2:
        _fail("企业微信群至少需要 2 名成员,请用 --member 指定")
    try:
        chatid = client.appchat_create(name=name, owner=users[0], userlist=users)
    except WeComError as e:
        _fail(f"创建群失败:{e}")
    typer.echo(
        f'# 已创建群「{name}」({len(users)} 人)。请把下面一行写入 kesu.toml 中 purpose = "{kind.value}" 的 [[chats]]:'
    )
    typer.echo(f"wecom = {json.dumps(chatid)}")


def _toml(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


@app.command("sync")
def sync() -> None:
    """Read departments and members (with direct_leader) from the contacts API; print a kesu.toml fragment."""
    client = _client(Settings())
    try:
        departments = client.departments()
        people: dict[str, dict[str, Any]] = {}
        for d in departments:
            for user in client.users(int(d["id"])):
                people.setdefault(str(user["userid"]), user)
    except WeComError as e:
        _fail(f"读取通讯录失败:{e}")
    lines = [
        "# 由 kesu wecom sync 生成:请核对后并入 kesu.toml,并为每人改正 roles(sales、qa、dept …)。",
        "",
    ]
    for d in departments:
        lines.append("[[departments]]")
        lines.append(f"id = {_toml('d' + str(d['id']))}")
        lines.append(f"name = {_toml(str(d.get('name', '')))}")
        leaders = [u for u in d.get("department_leader") or [] if u in people]
        if leaders:
            lines.append(f"head = {_toml(leaders[0])}")
        lines.append("")
    for userid, u in people.items():
        lines.append("[[people]]")
        lines.append(f"id = {_toml(userid)}")
        lines.append(f"name = {_toml(str(u.get('name') or userid))}")
        lines.append('roles = ["dept"]  # 请按实际职责修改')
        main = u.get("main_department") or (u.get("department") or [None])[0]
        if main is not None:
            lines.append(f"department = {_toml('d' + str(main))}")
        leaders = [x for x in u.get("direct_leader") or [] if x in people and x != userid]
        if leaders:
            lines.append(f"manager = {_toml(leaders[0])}")
        lines.append(f"wecom = {_toml(userid)}")
        lines.append("")
    typer.echo("\n".join(lines).rstrip())
