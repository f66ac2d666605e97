"""`kesu wecom create-group` and `kesu wecom sync` against the fake API."""

from __future__ import annotations

import tomllib

import pytest
from typer.testing import CliRunner

from bot.main import app
from tests.wecom.conftest import AGENT_ID, CORP_ID, SECRET
from tests.wecom.fake_wecom import FakeWeCom

runner = CliRunner()


@pytest.fixture
def env(api_base: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KESU_WECOM_CORP_ID", CORP_ID)
    monkeypatch.setenv("KESU_WECOM_AGENT_ID", AGENT_ID)
    monkeypatch.setenv("KESU_WECOM_SECRET", SECRET)
    monkeypatch.setenv("KESU_WECOM_API_BASE", api_base)
    monkeypatch.delenv("KESU_CONFIG", raising=False)


def test_create_group_creates_an_appchat_with_the_purposes_members_and_prints_its_chatid(
    env: None, fake: FakeWeCom
) -> None:
    result = runner.invoke(app, ["wecom", "create-group", "qa"])
    assert result.exit_code == 0, result.output
    body = fake.sent("appchat/create")[-1].body
    assert body["name"] == "品质群"
    assert set(body["userlist"]) == {"qa1", "qa_mgr"}
    assert 'wecom = "chat' in result.output


def test_sync_prints_departments_and_people_with_their_direct_leader(env: None, fake: FakeWeCom) -> None:
    fake.departments = [
        {"id": 1, "name": "总部", "parentid": 0},
        {"id": 2, "name": "品质部", "department_leader": ["wang"]},
    ]
    fake.users = {
        1: [{"userid": "boss", "name": "孙总", "department": [1], "main_department": 1}],
        2: [{"userid": "wang", "name": "王芳", "department": [2], "main_department": 2, "direct_leader": ["boss"]}],
    }
    result = runner.invoke(app, ["wecom", "sync"])
    assert result.exit_code == 0, result.output
    data = tomllib.loads(result.output)
    assert data["departments"][1] == {"id": "d2", "name": "品质部", "head": "wang"}
    wang = next(p for p in data["people"] if p["id"] == "wang")
    assert wang["manager"] == "boss" and wang["department"] == "d2" and wang["wecom"] == "wang"


def test_the_commands_say_in_chinese_which_settings_are_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CORP_ID", "AGENT_ID", "SECRET"):
        monkeypatch.delenv(f"KESU_WECOM_{name}", raising=False)
    result = runner.invoke(app, ["wecom", "sync"])
    assert result.exit_code == 1
    assert "缺少企业微信配置" in result.output and "KESU_WECOM_SECRET" in result.output
