"""Satisfaction campaigns (PROCEDURE §5): a reproducible random sample, answers on four levels, the index."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.config import ConfigError, load_config
from core.campaign import Campaign, Survey, record, results_text, sample
from core.errors import MissingFields, NotAllowed
from core.org import Person, Role

NOW = datetime(2026, 7, 15, 1, 0, tzinfo=UTC)
CUSTOMERS = [f"客户{i:03d}" for i in range(100)]


def test_a_campaign_over_100_customers_at_25_percent_samples_25_reproducibly_from_its_seed() -> None:
    first = sample(CUSTOMERS, 25, seed=20260715)
    assert len(first) == 25 and len(set(first)) == 25 and set(first) <= set(CUSTOMERS)
    assert sample(list(reversed(CUSTOMERS)), 25, seed=20260715) == first  # the order given does not matter
    assert sample(CUSTOMERS, 25, seed=20260716) != first  # another seed, another sample
    assert len(sample(CUSTOMERS, 20, seed=1)) == 20 and len(sample(CUSTOMERS[:3], 20, seed=1)) == 1
    assert sample([], 25, seed=1) == ()


def _campaign() -> Campaign:
    surveys = (Survey("明辉电子", "sales1"), Survey("华为", "sales2"))
    return Campaign(None, "2026 下半年", NOW, NOW, 25, 7, 8, ("产品质量", "交货期"), 80, surveys)


def test_only_the_owner_records_answers_on_the_four_levels_and_the_index_follows() -> None:
    sales1 = Person("sales1", "张伟", frozenset({Role.SALES}))
    sales2 = Person("sales2", "李娜", frozenset({Role.SALES}))
    c = _campaign()
    with pytest.raises(NotAllowed):
        record(c, index=0, actor=sales2, values={"产品质量": "满意", "交货期": "满意"}, version=1, now=NOW)
    with pytest.raises(MissingFields, match="交货期"):
        record(c, index=0, actor=sales1, values={"产品质量": "满意", "交货期": "还行"}, version=1, now=NOW)
    c = record(c, index=0, actor=sales1, values={"产品质量": "非常满意", "交货期": "一般"}, version=1, now=NOW)
    c = record(c, index=1, actor=sales2, values={"产品质量": "满意", "交货期": "较差"}, version=2, now=NOW)
    assert c.item_index("产品质量") == 90 and c.item_index("交货期") == 50 and c.index == 70
    assert c.below_target() == [("交货期", 50)]
    text = results_text(c, None)
    assert "满意度指数:70" in text and "交货期:50 ⚠️ 低于目标" in text and "种子 7" in text


def test_campaign_settings_come_from_config(tmp_path: Path) -> None:
    base = Path("kesu.example.toml").read_text(encoding="utf-8")
    path = tmp_path / "kesu.toml"
    path.write_text(base + '\n[campaigns]\npercent = 30\nitems = ["质量", "服务"]\nmonths = [3, 9]\n', encoding="utf-8")
    settings = load_config(path).campaigns
    assert (settings.percent, settings.items, settings.months, settings.day) == (30, ("质量", "服务"), (3, 9), 15)
    path.write_text(base + "\n[campaigns]\npercent = 0\n", encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        load_config(path)
    assert any(p.startswith("campaigns.percent") for p in refused.value.problems)
