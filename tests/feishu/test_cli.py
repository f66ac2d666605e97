"""`kesu feishu sync`: the contacts API read into a kesu.toml fragment that loads."""

from __future__ import annotations

import tomllib
from pathlib import Path

from typer.testing import CliRunner

from bot.config import load_config
from bot.main import app
from tests.feishu import fake as f


def test_sync_prints_departments_and_people_with_their_open_ids(fake: f.FakeFeishu, tmp_path: Path) -> None:
    fake.contacts["departments/0/children"] = [
        {"open_department_id": "od-rd", "department_id": "rd", "name": "研发部", "leader_user_id": "ou_zhou"},
        {"open_department_id": "od-2", "department_id": "", "name": "品质部"},
    ]
    fake.contacts["users/find_by_department"] = [
        {"open_id": "ou_zhou", "user_id": "zhou", "name": "周工", "department_ids": ["od-rd"]},
        {"open_id": "ou_wang", "name": "王芳", "department_ids": ["od-2"], "leader_user_id": "ou_zhou"},
    ]
    env = {"KESU_FEISHU_APP_ID": f.APP_ID, "KESU_FEISHU_APP_SECRET": f.APP_SECRET, "KESU_FEISHU_DOMAIN": fake.url}
    result = CliRunner().invoke(app, ["feishu", "sync"], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    data = tomllib.loads(result.stdout)
    assert [(d["id"], d["name"], d.get("head")) for d in data["departments"]] == [
        ("rd", "研发部", "zhou"),
        ("d2", "品质部", None),
    ]
    assert [(p["id"], p["feishu"], p.get("department"), p.get("manager")) for p in data["people"]] == [
        ("zhou", "ou_zhou", "rd", None),
        ("p2", "ou_wang", "d2", "zhou"),
    ]
    path = tmp_path / "kesu.toml"
    edited = result.stdout.replace('roles = ["dept"]', 'roles = ["sales"]', 1).replace(
        'roles = ["dept"]', 'roles = ["qa"]'
    )
    path.write_text(edited, encoding="utf-8")  # the admin sets the roles, as the fragment says
    assert load_config(path).accounts.person_by_account("feishu", "ou_wang") is not None
    assert all(c.headers["authorization"].startswith("Bearer t-") for c in fake.calls if "/contact/" in c.path)


def test_sync_without_the_app_credentials_says_what_is_missing() -> None:
    env = {"KESU_FEISHU_APP_ID": "", "KESU_FEISHU_APP_SECRET": ""}
    result = CliRunner().invoke(app, ["feishu", "sync"], env=env)
    assert result.exit_code == 2 and "KESU_FEISHU_APP_ID" in result.output
