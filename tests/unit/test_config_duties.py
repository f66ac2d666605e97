"""bot.config's [duties] section: where QA may respond for a department (none by default)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, demo_config, load_config
from core.duties import Duties
from tests.unit.test_config import BASE, write


def test_by_default_qa_responds_for_no_department() -> None:
    assert demo_config().duties == Duties()
    assert not demo_config().duties.qa_for("rd")


@pytest.mark.parametrize(
    ("value", "rd", "sales"),
    [("false", False, False), ("true", True, True), ('["sales"]', False, True)],
)
def test_qa_may_respond_is_false_true_or_a_list_of_departments(
    tmp_path: Path, value: str, rd: bool, sales: bool
) -> None:
    duties = load_config(write(tmp_path, BASE + f"\n[duties]\nqa_may_respond = {value}\n")).duties
    assert (duties.qa_for("rd"), duties.qa_for("sales")) == (rd, sales)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ('["rd"]', 'duties.qa_may_respond[0]: 未知的部门 "rd"'),
        ('"yes"', 'duties.qa_may_respond: 必须是 true、false 或部门 id 的数组,例如 ["rd"]'),
        ("1", 'duties.qa_may_respond: 必须是 true、false 或部门 id 的数组,例如 ["rd"]'),
    ],
)
def test_a_wrong_qa_may_respond_is_refused_with_its_key(tmp_path: Path, value: str, problem: str) -> None:
    with pytest.raises(ConfigError) as refused:
        load_config(write(tmp_path, BASE + f"\n[duties]\nqa_may_respond = {value}\n"))
    assert refused.value.problems == [problem]


def test_an_unknown_key_under_duties_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as refused:
        load_config(write(tmp_path, BASE + "\n[duties]\nqa_may_respnd = true\n"))
    assert any("qa_may_respond" in p for p in refused.value.problems), refused.value.problems
