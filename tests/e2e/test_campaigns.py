"""Satisfaction campaigns (PROCEDURE §5) end to end: a sample of the archive's active customers, survey cards to
their owners, reminders for the ones not surveyed, results to management, items below target to QA."""

from __future__ import annotations

import csv
from pathlib import Path

from typer.testing import CliRunner

from bot.main import app
from core.archive_flow import COLUMNS
from tests.e2e.chat import LocalChat, card_of, field, only, to
from tests.e2e.test_reminders import nags


def _cli(db_url: str, *args: str) -> str:
    env = {"KESU_DATABASE_URL": db_url, "KESU_CONFIG": ""}
    result = CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def _archive(db_url: str, tmp_path: Path, n: int) -> None:
    path = tmp_path / "customers.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow([zh for _, zh, _ in COLUMNS])
        for i in range(n):
            row = [""] * len(COLUMNS)
            row[0], row[2] = f"客户{i:02d}", "sales1" if i % 2 else "sales2"
            w.writerow(row)
    _cli(db_url, "customers", "import", str(path))


def test_a_campaign_samples_surveys_reminds_and_reports(db_url: str, tmp_path: Path) -> None:
    _archive(db_url, tmp_path, 20)
    out = _cli(db_url, "campaign", "start", "--percent", "25", "--seed", "7", "--now", "2026-07-15T09:00")
    assert "从 20 家活跃客户中抽取 5 家(25%,种子 7)" in out
    again = _cli(db_url, "campaign", "start", "--percent", "25", "--seed", "7", "--now", "2026-07-15T09:00")
    assert [line for line in out.splitlines() if line.startswith("  客户")] == [
        line for line in again.splitlines() if line.startswith("  客户")
    ]  # the same seed draws the same customers
    _cli(db_url, "campaign", "close", "--now", "2026-07-15T09:01")  # the repeat was only to show reproducibility

    bot = LocalChat(db_url)
    started = [m for m in bot.tick(now="2026-07-15T09:30") if m.get("card") and str(m["card"]["id"]).startswith("sv")]
    assert len(started) == 5  # the scheduled July campaign: 25 % of 20 (default percent)
    later = [m for m in bot.tick(now="2026-07-15T09:45") if m.get("card") and str(m["card"]["id"]).startswith("sv")]
    assert later == []  # started once


def test_owners_record_answers_and_the_results_go_to_management(db_url: str, tmp_path: Path) -> None:
    _archive(db_url, tmp_path, 4)
    bot = LocalChat(db_url)
    out = bot.tick(now="2026-07-15T09:01")  # July 15th: the half-year campaign starts by itself
    surveys = [m for m in out if m.get("card") and str(m["card"]["id"]).startswith("sv")]
    assert len(surveys) == 1  # 25 % of 4
    card = card_of(surveys[0])
    owner = next(u for u in ("sales1", "sales2") if to([surveys[0]], user=u))
    other = "sales2" if owner == "sales1" else "sales1"
    refused = only(bot.click(other, str(card["id"]), "record", now="2026-07-16T10:00"), user=other)
    assert "负责业务员" in refused["text"]
    reminded = bot.tick(now="2026-07-28T09:01")  # one working day before the end: the owner is reminded
    assert nags(reminded, owner, "满意度调查") != []
    answers = {"产品质量": "满意", "交货期": "较差", "价格": "一般", "服务": "非常满意"}
    done = bot.click(owner, str(card["id"]), "record", now="2026-07-28T10:00", **answers)
    assert field(card_of(only(done, user=owner)), "交货期") == "较差"

    closing = bot.tick(now="2026-07-29T09:01")  # 14 days after the start
    results = only(closing, chat="mgmt")["text"]
    assert "满意度指数:70" in results and "交货期:40 ⚠️ 低于目标" in results
    below = [m["text"] for m in to(closing, chat="qa") if "低于目标" in str(m.get("text"))]
    assert len(below) == 2 and any("交货期" in t for t in below) and any("价格" in t for t in below)
