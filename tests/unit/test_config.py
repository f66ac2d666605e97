"""bot.config: kesu.toml loading, validation messages, the demo org and the settings."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.config import (
    ConfigError,
    KesuConfig,
    Settings,
    calendar_warnings,
    check_config,
    demo_config,
    load_config,
)
from core.clocks import DEFAULT_CLOCKS, ClockName, ClockPolicy, ClockUnit
from core.org import ChatPurpose, Role

EXAMPLE = Path(__file__).resolve().parents[2] / "kesu.example.toml"

# A minimal valid config: people[0] is qa, people[1] is sales; departments[0..1], chats[0].
BASE = """
[[departments]]
id = "qa"
name = "品质部"

[[departments]]
id = "sales"
name = "市场部"

[[people]]
id = "qa1"
name = "王芳"
roles = ["qa"]
department = "qa"

[[people]]
id = "sales1"
name = "张伟"
roles = ["sales"]
department = "sales"

[[chats]]
id = "qa"
name = "品质群"
purpose = "qa"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "kesu.toml"
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text))
    return caught.value.problems


def person(pid: str, **fields: str) -> str:
    lines = [f'id = "{pid}"', 'name = "某人"', 'roles = ["dept"]', *(f'{k} = "{v}"' for k, v in fields.items())]
    return "\n[[people]]\n" + "\n".join(lines) + "\n"


# --- the demo org and the example file -------------------------------------------------------------


def test_no_path_gives_the_demo_config() -> None:
    assert load_config(None) == demo_config()
    assert demo_config().source == "built-in demo org"


def test_the_demo_config_has_the_documented_people_and_roles() -> None:
    org = demo_config().org
    assert [p.id for p in org.people] == [
        "sales1",
        "sales2",
        "qa1",
        "qa_mgr",
        "cs_mgr",
        "vp",
        "gm",
        "rd1",
        "prod1",
        "wh1",
        "buyer1",
        "fin1",
    ]
    qa_mgr = org.person("qa_mgr")
    assert qa_mgr is not None and qa_mgr.roles == {Role.QA_MANAGER}
    wh1 = org.person("wh1")
    assert wh1 is not None and wh1.roles == {Role.WAREHOUSE, Role.DEPT} and wh1.department == "wh"
    assert [p.id for p in org.with_role(Role.SALES)] == ["sales1", "sales2"]
    assert [p.id for p in org.with_role(Role.QA)] == ["qa1"]
    assert [(d.id, d.name, d.head) for d in org.departments] == [
        ("sales", "市场部", "cs_mgr"),
        ("qa", "品质部", "qa_mgr"),
        ("rd", "研发部", "rd1"),
        ("prod", "生产部", "prod1"),
        ("wh", "仓库", "wh1"),
        ("purchasing", "采购部", "buyer1"),
        ("finance", "财务部", "fin1"),
    ]
    assert {c.purpose: c.id for c in org.chats} == {
        ChatPurpose.QA: "qa",
        ChatPurpose.MGMT: "mgmt",
        ChatPurpose.SALES: "sales",
    }
    assert [c.name for c in org.customers][:4] == ["明辉电子", "顺达电器", "华为", "美的集团"]
    assert [p.code for p in org.products][:4] == ["X200", "FX-90", "P40", "KS-10"]
    assert len(org.customers) == len(org.products) == 10


def test_the_demo_escalation_chain_ends_at_the_gm() -> None:
    org = demo_config().org
    chain = ["sales1"]
    while (p := org.person(chain[-1])) is not None and p.manager is not None:
        chain.append(p.manager)
    assert chain == ["sales1", "cs_mgr", "vp", "gm"]


def test_the_demo_config_uses_the_default_clocks_and_shanghai_time() -> None:
    cfg = demo_config()
    assert cfg.clocks == DEFAULT_CLOCKS
    assert cfg.clocks is not DEFAULT_CLOCKS
    assert cfg.timezone == ZoneInfo("Asia/Shanghai")
    assert cfg.holidays == frozenset() and cfg.workdays == frozenset()
    assert hash(cfg) == hash(demo_config())  # usable as a cache key


def test_the_example_file_is_the_demo_config() -> None:
    loaded = load_config(EXAMPLE)
    assert loaded.source == str(EXAMPLE)
    assert dataclasses.replace(loaded, source=demo_config().source) == demo_config()


def test_the_demo_config_only_warns_about_uncovered_years() -> None:
    assert check_config(demo_config(), today=date(2025, 6, 1)) == []
    warnings = check_config(demo_config(), today=date(2026, 11, 22))
    assert warnings == [
        "calendar: 2027 年不在 chinese-calendar 的数据范围内,节假日按法定假日估算,调休上班日尚未配置;"
        "请按国务院放假安排在 calendar.holidays / calendar.workdays 中补全,再把 2027 加入 calendar.confirmed_years"
    ]


def test_check_config_warns_for_the_current_and_the_next_year() -> None:
    warnings = check_config(demo_config(), today=date(2027, 3, 1))
    assert [w[:16] for w in warnings] == ["calendar: 2027 年", "calendar: 2028 年"]


# --- loading valid files ---------------------------------------------------------------------------


def test_a_minimal_file_loads_with_default_clocks_and_timezone(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, BASE))
    assert isinstance(cfg, KesuConfig)
    assert cfg.clocks == DEFAULT_CLOCKS
    assert cfg.timezone == ZoneInfo("Asia/Shanghai")
    assert cfg.source == str(tmp_path / "kesu.toml")


def test_configured_clocks_replace_only_their_defaults(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, BASE + '[clocks.urgent]\namount = 16\nunit = "hours"\n'))
    assert cfg.clocks[ClockName.URGENT] == ClockPolicy(16, ClockUnit.HOURS)
    assert cfg.clocks[ClockName.NORMAL] == DEFAULT_CLOCKS[ClockName.NORMAL]
    assert list(cfg.clocks) == list(ClockName)


def test_calendar_dates_may_be_strings_or_toml_dates(tmp_path: Path) -> None:
    text = BASE + '[calendar]\nholidays = ["2027-01-01", 2027-02-05]\nworkdays = [2027-02-07]\n'
    cfg = load_config(write(tmp_path, text))
    assert cfg.holidays == {date(2027, 1, 1), date(2027, 2, 5)}
    assert cfg.workdays == {date(2027, 2, 7)}
    cal = cfg.calendar()
    assert not cal.is_workday(date(2027, 1, 1))
    assert cal.is_workday(date(2027, 2, 7))


def test_one_configured_2027_holiday_does_not_silence_the_2027_warning(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, BASE + "[calendar]\nholidays = [2027-01-01]\nworkdays = [2027-02-20]\n"))
    warnings = [w for w in check_config(cfg, today=date(2026, 11, 22)) if w.startswith("calendar:")]
    assert len(warnings) == 1 and "2027 年" in warnings[0] and "调休上班日尚未配置" in warnings[0]


def test_confirming_2027_in_config_stops_the_2027_warning(tmp_path: Path) -> None:
    text = BASE + "[calendar]\nholidays = [2027-01-01]\nconfirmed_years = [2027]\n"
    cfg = load_config(write(tmp_path, text))
    assert cfg.confirmed_years == {2027}
    assert calendar_warnings(cfg, today=date(2026, 11, 22)) == []
    assert [w[:16] for w in calendar_warnings(cfg, today=date(2027, 3, 1))] == ["calendar: 2028 年"]
    assert not cfg.calendar().is_workday(date(2027, 2, 8))  # confirmed: the statutory days still apply


def test_a_confirmed_year_must_be_a_plausible_year_number(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, BASE + '[calendar]\nconfirmed_years = ["2027", 27]\n')
    assert problems == ["calendar.confirmed_years[0]: 必须是整数", "calendar.confirmed_years[1]: 不能小于 2000"]


def test_a_byte_order_mark_from_a_windows_editor_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "kesu.toml"
    path.write_bytes(b"\xef\xbb\xbf" + BASE.encode("utf-8"))
    assert load_config(path).org.person("qa1") is not None


# --- file-level errors -----------------------------------------------------------------------------


def test_a_missing_file_is_a_config_error_naming_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(ConfigError) as caught:
        load_config(missing)
    assert caught.value.problems == [f"{missing}: 配置文件不存在"]


def test_a_toml_syntax_error_names_the_file_and_the_line(tmp_path: Path) -> None:
    (problem,) = problems_of(tmp_path, 'timezone = "Asia/Shanghai"\n\n[[people]\nid = "x"\n')
    assert problem.startswith(f"{tmp_path / 'kesu.toml'} 第 3 行: TOML 语法错误")


def test_an_unquoted_string_is_a_syntax_error_on_its_line(tmp_path: Path) -> None:
    (problem,) = problems_of(tmp_path, BASE + "\n[[people]]\nid = sales2\n")
    line = (BASE + "\n[[people]]\nid = sales2\n").splitlines().index("id = sales2") + 1
    assert f"第 {line} 行: TOML 语法错误" in problem
    assert "kesu.toml" in problem


def test_a_file_that_is_not_utf8_is_reported_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "kesu.toml"
    path.write_bytes(BASE.encode("utf-8") + '\n[[chats]]\nname = "销售群"\n'.encode("gbk"))
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    (problem,) = caught.value.problems
    assert "UTF-8" in problem and f"第 {BASE.count(chr(10)) + 3} 行" in problem


# --- validation errors name the key path -----------------------------------------------------------

CASES: list[tuple[str, str, str]] = [
    ("unknown manager", BASE + person("x", manager="bob"), 'people[2].manager: 未知的人员 "bob"'),
    ("self manager", BASE + person("x", manager="x"), "people[2].manager: 不能是本人"),
    ("unknown department", BASE + person("x", department="nowhere"), 'people[2].department: 未知的部门 "nowhere"'),
    ("duplicate person", BASE + person("qa1"), 'people[2].id: 人员 id "qa1" 重复(与 people[0] 相同)'),
    (
        "duplicate department",
        BASE + '[[departments]]\nid = "qa"\nname = "质量部"\n',
        'departments[2].id: 部门 id "qa" 重复(与 departments[0] 相同)',
    ),
    (
        "unknown head",
        BASE + '[[departments]]\nid = "rd"\nname = "研发部"\nhead = "ghost"\n',
        'departments[2].head: 未知的人员 "ghost"',
    ),
    (
        "duplicate chat id",
        BASE + '[[chats]]\nid = "qa"\nname = "销售群"\npurpose = "sales"\n',
        'chats[1].id: 群 id "qa" 重复(与 chats[0] 相同)',
    ),
    (
        "two chats for one purpose",
        BASE + '[[chats]]\nid = "qa2"\nname = "品质二群"\npurpose = "qa"\n',
        'chats[1].purpose: 用途 "qa" 已由 chats[0] 使用,每种用途只能配置一个群',
    ),
    (
        "unknown chat purpose",
        BASE + '[[chats]]\nid = "x"\nname = "闲聊"\npurpose = "chat"\n',
        "chats[1].purpose: 必须是 qa、mgmt 或 sales 之一",
    ),
    (
        "unknown role",
        BASE + '[[people]]\nid = "x"\nname = "某人"\nroles = ["dept", "boss"]\n',
        'people[2].roles[1]: 未知的角色 "boss",必须是 sales、qa、qa_manager、dept、cs_manager、vp、gm、'
        "warehouse、purchasing、finance、pmc 或 admin 之一",
    ),
    ("no roles", BASE + '[[people]]\nid = "x"\nname = "某人"\nroles = []\n', "people[2].roles: 至少需要填写一项"),
    ("missing name", BASE + '[[people]]\nid = "x"\nroles = ["qa"]\n', "people[2].name: 缺少必填项"),
    ("empty id", BASE + '[[people]]\nid = " "\nname = "某人"\nroles = ["qa"]\n', "people[2].id: 不能为空"),
    (
        "number instead of string",
        BASE + '[[people]]\nid = 7\nname = "某人"\nroles = ["qa"]\n',
        "people[2].id: 必须是字符串(用双引号括起来)",
    ),
    (
        "typo in a person key",
        BASE + '[[people]]\nid = "x"\nname = "某人"\nroles = ["qa"]\nmanger = "qa1"\n',
        'people[2].manger: 未知的配置项(是否应为 "manager"?)',
    ),
    ("typo at the top level", 'timezon = "Asia/Shanghai"\n' + BASE, 'timezon: 未知的配置项(是否应为 "timezone"?)'),
    ("unknown timezone", 'timezone = "Mars/Base"\n' + BASE, 'timezone: 未知时区 "Mars/Base"'),
    (
        "bad clock unit",
        BASE + '[clocks.urgent]\namount = 2\nunit = "days"\n',
        "clocks.urgent.unit: 必须是 calendar_days、working_days 或 hours 之一",
    ),
    ("zero clock amount", BASE + '[clocks.urgent]\namount = 0\nunit = "hours"\n', "clocks.urgent.amount: 必须大于 0"),
    (
        "clock amount as a string",
        BASE + '[clocks.normal]\namount = "7"\nunit = "calendar_days"\n',
        "clocks.normal.amount: 必须是整数",
    ),
    ("clock without unit", BASE + "[clocks.normal]\namount = 7\n", "clocks.normal.unit: 缺少必填项"),
    (
        "unknown clock",
        BASE + '[clocks.urgnt]\namount = 2\nunit = "hours"\n',
        "clocks.urgnt: 未知的时钟,必须是 first_response、urgent、normal、improvement_report 或 return_processing 之一",
    ),
    (
        "unknown clock with a quoted key",
        BASE + '[clocks."first response"]\namount = 2\nunit = "hours"\n',
        'clocks."first response": 未知的时钟,必须是 first_response、urgent、normal、'
        "improvement_report 或 return_processing 之一",
    ),
    (
        "bad date",
        BASE + '[calendar]\nholidays = ["2027-01-01", "2027-02-30"]\n',
        'calendar.holidays[1]: 不是有效的日期 "2027-02-30",应写作 "2027-01-01" 的形式',
    ),
    (
        "a date both holiday and workday",
        BASE + '[calendar]\nholidays = ["2027-02-07"]\nworkdays = ["2027-02-07"]\n',
        "calendar.workdays[0]: 2027-02-07 同时出现在 calendar.holidays 中,不能既是节假日又是调休工作日",
    ),
    ("people not an array", 'people = "qa1"\n', "people: 必须是数组"),
    (
        "duplicate product code",
        BASE + '[[products]]\ncode = "X200"\nname = "a"\n[[products]]\ncode = "X200"\nname = "b"\n',
        'products[1].code: 产品型号 "X200" 重复(与 products[0] 相同)',
    ),
    (
        "manager loop",
        BASE + person("a", manager="b") + person("b", manager="a"),
        "people[2].manager: 上级关系形成循环:a → b → a",
    ),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_kind_of_bad_input_names_its_key_path(tmp_path: Path, text: str, expected: str) -> None:
    assert expected in problems_of(tmp_path, text)


def test_a_config_without_qa_or_sales_people_cannot_run_the_procedure(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, '[[people]]\nid = "gm"\nname = "孙总"\nroles = ["gm"]\n')
    assert problems == [
        "people: 至少需要一名角色为 qa(品质部)的人员,否则流程无法运行",
        "people: 至少需要一名角色为 sales(业务员)的人员,否则流程无法运行",
    ]


def test_an_empty_file_is_reported_as_missing_qa_and_sales(tmp_path: Path) -> None:
    assert len(problems_of(tmp_path, "")) == 2


def test_all_structural_problems_are_reported_at_once_without_pydantic_boilerplate(tmp_path: Path) -> None:
    text = (
        'timezone = "Mars/Base"\n'
        + BASE
        + '[clocks.urgent]\namount = 0\nunit = "days"\n[calendar]\nholidays = ["soon"]\n'
    )
    problems = problems_of(tmp_path, text)
    assert [p.split(":")[0] for p in problems] == [
        "timezone",
        "clocks.urgent.amount",
        "clocks.urgent.unit",
        "calendar.holidays[0]",
    ]
    assert not any("pydantic" in p or "http" in p or "Input should" in p for p in problems)


def test_the_error_message_lists_every_problem(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, BASE + person("x", manager="bob", department="nowhere")))
    assert str(caught.value) == "\n".join(caught.value.problems)
    assert len(caught.value.problems) == 2


# --- warnings --------------------------------------------------------------------------------------


def test_check_config_warns_about_missing_roles_chats_and_heads(tmp_path: Path) -> None:
    warnings = check_config(load_config(write(tmp_path, BASE + person("x"))), today=date(2025, 6, 1))
    keys = [w.split(":")[0] for w in warnings]
    assert keys.count("people") == 5  # qa_manager, cs_manager, vp, gm, warehouse
    assert keys.count("chats") == 2  # mgmt, sales
    assert "departments[0].head" in keys and "departments[1].head" in keys
    assert "people[2].department" in keys


# --- settings --------------------------------------------------------------------------------------


def test_settings_default_to_a_local_sqlite_file_and_the_demo_org(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KESU_DATABASE_URL", raising=False)
    monkeypatch.delenv("KESU_CONFIG", raising=False)
    settings = Settings()
    assert settings.database_url == "sqlite:///kesu.db"
    assert settings.config is None


def test_settings_are_read_from_kesu_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KESU_DATABASE_URL", "postgresql+psycopg://kesu@db/kesu")
    monkeypatch.setenv("KESU_CONFIG", "/etc/kesu/kesu.toml")
    settings = Settings()
    assert settings.database_url == "postgresql+psycopg://kesu@db/kesu"
    assert settings.config == Path("/etc/kesu/kesu.toml")


def test_an_empty_kesu_config_means_no_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KESU_CONFIG", "")
    assert Settings().config is None


def test_approval_chains_default_to_the_procedure_and_can_be_configured(tmp_path: Path) -> None:
    assert [s.name for s in demo_config().approvals["return"]] == ["客服经理审核", "副总批准"]
    review = demo_config().approvals["order_review"][0]
    assert review.quorum is None and len(review.members) == 5
    path = tmp_path / "kesu.toml"
    path.write_text(
        BASE + '[approvals.return]\nsteps = [{ manager = true }, { any_of = [{ role = "vp" }, { person = "qa1" }], '
        'quorum = 1, clock = { amount = 4, unit = "hours" } }]\n',
        encoding="utf-8",
    )
    chain = load_config(path).approvals["return"]
    assert [(s.name, s.needed, s.clock.amount) for s in chain] == [("第 1 步", 1, 2), ("第 2 步", 1, 4)]


def test_a_bad_approval_step_names_its_key(tmp_path: Path) -> None:
    path = tmp_path / "kesu.toml"
    path.write_text(
        BASE + '[approvals.order_review]\nsteps = [{ role = "qa", person = "qa1" }, { person = "nobody" }]\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as e:
        load_config(path)
    assert e.value.problems == [
        "approvals.order_review.steps[0]: 每一步只能写 role、person、manager、department_head、all_of 或 any_of 之一",
        'approvals.order_review.steps[1].person: 未知的人员 "nobody"',
    ]
