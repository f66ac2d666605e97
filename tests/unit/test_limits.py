"""core.limits: quantities and typed texts within the configured bounds, card numbers a database integer holds,
and the [limits] section of kesu.toml."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.config import ConfigError, load_config
from core.complaint import Details
from core.errors import MissingFields
from core.limits import MAX_ID, Limits, clean, record_numbers

EXAMPLE = Path(__file__).resolve().parents[2] / "kesu.example.toml"


@pytest.mark.parametrize(
    ("raw", "sentence"),
    [
        ("1000001", "数量最多 1000000,收到的是 1000001。"),
        ("9" * 5000, "数量最多 1000000,收到的数字太大。"),
        ("-5", "数量要大于 0,收到的是 -5。"),
        ("1.5", "数量要填正整数,收到的是「1.5」。"),
        ("١٢", "数量要填正整数,收到的是「١٢」。"),
        ("1_000", "数量要填正整数,收到的是「1_000」。"),
    ],
)
def test_a_quantity_outside_the_limits_is_refused_naming_the_field(raw: str, sentence: str) -> None:
    with pytest.raises(MissingFields) as refused:
        Limits().quantity(raw)
    assert (refused.value.message, refused.value.fields) == (sentence, ("quantity",))


def test_a_count_may_be_zero_but_a_quantity_may_not() -> None:
    assert Limits().quantity(" 0 ", field="bad", allow_zero=True) == 0
    assert Limits().quantity("1000000") == 1_000_000
    with pytest.raises(MissingFields, match="数量要大于 0"):
        Limits().quantity(0)


def test_details_refuse_an_over_long_short_field_and_keep_a_long_text_within_its_limit() -> None:
    limits = Limits(short_text=10, long_text=100)
    assert Details().merged({"defect": "划" * 100}, limits).defect == "划" * 100
    with pytest.raises(MissingFields) as refused:
        Details().merged({"customer": "明" * 11}, limits)
    assert (refused.value.message, refused.value.fields) == ("客户最多 10 字。", ("customer",))


def test_card_numbers_beyond_a_database_integer_are_not_card_ids() -> None:
    pattern = re.compile(r"^f(\d+)v(\d+)$")
    assert record_numbers(pattern, f"f{MAX_ID}v1") == (MAX_ID, 1)
    assert record_numbers(pattern, f"f{MAX_ID + 1}v1") is None
    assert record_numbers(pattern, "f" + "9" * 5000 + "v1") is None
    assert record_numbers(pattern, "f١v1") is None


def test_clean_drops_control_characters_but_tab_and_newline_and_replaces_lone_surrogates() -> None:
    assert clean("a\x00b\x1b\x7f\x85c\t\nd\ud800e") == "abc\t\nd\ufffde"


def test_the_limits_section_of_kesu_toml_is_read_and_checked(tmp_path: Path) -> None:
    path = tmp_path / "kesu.toml"
    base = EXAMPLE.read_text(encoding="utf-8")
    path.write_text(base + "\n[limits]\nmax_quantity = 5000\nlong_text = 500\n", encoding="utf-8")
    assert load_config(path).limits == Limits(max_quantity=5000, short_text=100, long_text=500)
    path.write_text(base + "\n[limits]\nmax_quantity = 0\n", encoding="utf-8")
    with pytest.raises(ConfigError) as bad:
        load_config(path)
    assert any("limits.max_quantity" in p for p in bad.value.problems), bad.value.problems
    path.write_text(base + "\n[limits]\nmax_quantity = 3000000000\n", encoding="utf-8")
    with pytest.raises(ConfigError):
        load_config(path)
