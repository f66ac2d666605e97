"""Problem types (PROCEDURE §1.7): suggested from the defect text at submit, chosen by QA on the validity step."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, load_config
from core.problems import suggest
from tests.e2e.chat import LocalChat, card_of, field, only


def test_the_suggestion_follows_the_defect_words() -> None:
    assert suggest("外壳划伤") == "appearance"
    assert suggest("控制板死机") == "function"
    assert suggest("少发了20个") == "shipping"
    assert suggest("客户说不满意") == "other"
    assert suggest(None) == "other"


def test_qa_sees_the_suggestion_and_may_change_it(db_url: str) -> None:
    bot = LocalChat(db_url)
    bot.say("sales1", "明辉电子投诉X200外壳划伤,200个", now="2026-11-23T09:00")
    submitted = bot.click("sales1", "f1v1", "confirm", now="2026-11-23T09:01")
    assert field(card_of(only(submitted, user="qa1")), "问题类型") == "外观"

    out = bot.click("qa1", "f1v2", "valid", now="2026-11-23T10:00", department="rd", problem="心情")
    refused = only(out, user="qa1")
    assert "没有「心情」这个问题类型" in refused["text"] and "包装" in refused["text"]

    bot.click("qa1", "f1v2", "valid", now="2026-11-23T10:01", department="rd", problem="包装")
    status = card_of(only(bot.say("sales1", "KS-202611-0001 进度", now="2026-11-23T11:00"), user="sales1"))
    assert field(status, "问题类型") == "包装" and field(status, "责任部门") == "研发部"


def test_problem_types_come_from_config(tmp_path: Path) -> None:
    base = Path("kesu.example.toml").read_text(encoding="utf-8")
    extra = '\n[[problem_types]]\nid = "burr"\nname = "毛刺"\nkeywords = ["毛刺", "披锋"]\n'
    extra += '\n[[problem_types]]\nid = "other"\nname = "其他"\n'
    path = tmp_path / "kesu.toml"
    path.write_text(base + extra, encoding="utf-8")
    org = load_config(path).org
    assert [t.name for t in org.problem_types] == ["毛刺", "其他"]
    assert suggest("边缘有披锋", org.problem_types) == "burr" and suggest("划伤", org.problem_types) == "other"
    path.write_text(base + extra + '\n[[problem_types]]\nid = "burr"\nname = "毛边"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        load_config(path)
    assert any("问题类型 id" in p and "重复" in p for p in refused.value.problems)
