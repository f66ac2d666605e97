"""2027, a year chinese-calendar does not know: statutory holidays hold the clocks, quiet days and the digest,
and `config check`, `serve`, `worker` and the digest say that the make-up workdays are estimated."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
import uvicorn
from typer.testing import CliRunner

import bot.main
from bot.main import app
from bot.web import Worker
from tests.e2e.chat import LocalChat, Message, card_of, field, only, to

EXAMPLE = Path(__file__).resolve().parents[2] / "kesu.example.toml"
NOTICE = "⚠️ 2027 年调休安排尚未配置,工作日按法定节假日估算。"
FIRST = "首次答复客户"


def _first_response_nags(out: list[Message]) -> list[str]:
    return [str(card_of(m)["title"]) for m in to(out, user="sales1") if m.get("card") and FIRST in card_of(m)["title"]]


def test_a_first_response_due_on_the_2027_spring_festival_eve_waits_for_the_first_working_morning(
    db_url: str,
) -> None:
    bot = LocalChat(db_url)
    bot.say("sales1", "明辉电子投诉X200外壳划伤,200个", now="2027-02-02T10:00")
    bot.click("sales1", "f1v1", "confirm", now="2027-02-02T10:00")  # not urgent: due Friday 02-05 10:00 (除夕)
    assert len(_first_response_nags(bot.tick(now="2027-02-04T12:00"))) == 1  # the reminders before it
    assert _first_response_nags(bot.tick(now="2027-02-05T10:01")) == []  # 除夕 is a day off
    assert _first_response_nags(bot.tick(now="2027-02-08T10:00")) == []  # 初三 (a Monday) too
    assert _first_response_nags(bot.tick(now="2027-02-10T10:00")) == []  # 补假 for the weekend days
    assert _first_response_nags(bot.tick(now="2027-02-11T08:01")) == [
        f"⏰ KS-202702-0001 {FIRST} 已到期(截止 02-05 10:00),请尽快处理。"
    ]


def test_no_digest_goes_out_on_new_years_day_2027_and_the_next_one_warns_about_2027(db_url: str) -> None:
    bot = LocalChat(db_url)
    assert to(bot.tick(now="2027-01-01T09:00"), chat="qa") == []  # a Friday, but 元旦
    digest = only(bot.tick(now="2027-01-04T08:31"), chat="qa")["text"]
    assert digest.startswith("📋 01-04 客诉日报") and digest.splitlines()[-1] == NOTICE


def test_the_digest_does_not_warn_about_a_year_no_clock_reaches_yet(db_url: str) -> None:
    bot = LocalChat(db_url)
    assert NOTICE not in only(bot.tick(now="2026-11-24T08:31"), chat="qa")["text"]
    assert NOTICE in only(bot.tick(now="2026-12-01T08:31"), chat="qa")["text"]  # 2027 is 31 days away


@dataclass
class _ConfiguredChat(LocalChat):
    """LocalChat on a kesu.toml of its own."""

    config: str = ""

    def _run(self, *args: str) -> list[Message]:
        env = {"KESU_DATABASE_URL": self.db_url, "KESU_CONFIG": self.config}
        result = CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def _config(tmp_path: Path, extra: str = "") -> Path:
    text = EXAMPLE.read_text(encoding="utf-8").replace(
        '[clocks.first_response]\namount = 3\nunit = "calendar_days"',
        '[clocks.first_response]\namount = 3\nunit = "working_days"',
    )
    assert 'unit = "working_days"' in text
    path = tmp_path / "kesu.toml"
    path.write_text(text + extra, encoding="utf-8")
    return path


def test_a_working_day_clock_started_the_day_before_the_2027_spring_festival_skips_it(
    db_url: str, tmp_path: Path
) -> None:
    bot = _ConfiguredChat(db_url, config=str(_config(tmp_path)))
    bot.say("sales1", "明辉电子投诉X200外壳划伤,200个", now="2027-02-04T10:00")
    card = card_of(only(bot.click("sales1", "f1v1", "confirm", now="2027-02-04T10:00"), user="qa1"))
    assert field(card, FIRST) == "截止 02-15 10:00"  # 02-05…02-10 off: Thu 11, Fri 12, Mon 15


def _cli(args: list[str], config: Path, tmp_path: Path) -> tuple[int, str]:
    env = {"KESU_CONFIG": str(config), "KESU_DATABASE_URL": f"sqlite:///{tmp_path / 'k.db'}"}
    result = CliRunner().invoke(app, args, env=env, catch_exceptions=False)
    return result.exit_code, result.stderr + result.stdout


@pytest.fixture
def december_2026(monkeypatch: pytest.MonkeyPatch) -> None:
    """The commands' today: 2026-12-04 (2026 known to chinese-calendar, 2027 not)."""
    monkeypatch.setattr(bot.main, "_today", lambda tz: date(2026, 12, 4))


@pytest.mark.usefixtures("december_2026")
def test_config_check_warns_about_2027_despite_a_configured_holiday_until_the_year_is_confirmed(
    tmp_path: Path,
) -> None:
    code, out = _cli(["config", "check"], _config(tmp_path, "\n[calendar]\nholidays = [2027-01-01]\n"), tmp_path)
    assert code == 0 and "警告: calendar: 2027 年" in out and "调休上班日尚未配置" in out
    confirmed = _config(tmp_path, "\n[calendar]\nholidays = [2027-01-01]\nconfirmed_years = [2027]\n")
    code, out = _cli(["config", "check"], confirmed, tmp_path)
    assert code == 0 and "calendar:" not in out


@pytest.mark.usefixtures("december_2026")
def test_worker_and_serve_warn_at_start_that_2027_make_up_workdays_are_estimated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Worker, "run", lambda self: None)
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: None)
    config = _config(tmp_path, "\n[calendar]\nholidays = [2027-01-01]\n")
    for command in (["worker"], ["serve"]):
        code, out = _cli(command, config, tmp_path)
        assert code == 0 and "警告: calendar: 2027 年" in out, command
    confirmed = _config(tmp_path, "\n[calendar]\nconfirmed_years = [2027]\n")
    assert "calendar:" not in _cli(["worker"], confirmed, tmp_path)[1]
