"""Follow-up questions, photos and cancelling, through `kesu say` as a sales person would use them."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from typer.testing import CliRunner

from bot.main import app
from storage.db import make_engine
from tests.e2e.chat import LocalChat, card_of, field, only

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _rows(db_url: str, sql: str) -> list[tuple[object, ...]]:
    engine = make_engine(db_url)
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(sa.text(sql)).all()]
    engine.dispose()
    return rows


def _photo(db_url: str, user: str, path: Path, *, now: str) -> list[dict[str, object]]:
    env = {"KESU_DATABASE_URL": db_url, "KESU_CONFIG": ""}
    result = CliRunner().invoke(app, ["say", "--as", user, "--image", str(path), "--now", now], env=env)
    assert result.exit_code == 0, result.output
    import json

    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def test_a_missing_quantity_is_asked_for_and_the_answer_completes_the_form(db_url: str, tmp_path: Path) -> None:
    bot = LocalChat(db_url)
    first = only(
        bot.say("sales1", "刚接到顺达电器电话,说FX-90风扇叶片有裂纹,今天要回复", now="2026-11-23T09:00"), user="sales1"
    )
    assert first["text"] == "已记下:客户 顺达电器、产品/型号 FX-90、不良描述 叶片有裂纹(急件)。影响数量是多少?"

    # Not a number: asked again, nothing lost.
    again = only(bot.say("sales1", "还不清楚", now="2026-11-23T09:01"), user="sales1")
    assert "请回复数字" in again["text"]

    photo = tmp_path / "crack.png"
    photo.write_bytes(PNG)
    attached = only(_photo(db_url, "sales1", photo, now="2026-11-23T09:02"), user="sales1")
    assert attached["text"] == "照片已附到草稿(共 1 张)。"

    done = only(bot.say("sales1", "一共十五台", now="2026-11-23T09:03"), user="sales1")
    assert "请核对后点「提交」" in done["text"]
    card = card_of(done)
    assert (field(card, "数量"), field(card, "不良"), field(card, "紧急"), field(card, "照片")) == (
        "15",
        "叶片有裂纹",
        "急件",
        "1 张",
    )

    # The draft card from the first message still submits what is stored now (only its owner acts on it).
    out = bot.click("sales1", "f1v1", "confirm", now="2026-11-23T09:04")
    qa = card_of(only(out, user="qa1"))
    assert field(qa, "编号") == "KS-202611-0001" and field(qa, "数量") == "15" and field(qa, "客户") == "顺达电器"

    # A second photo within 10 minutes of submitting goes to the form; after that it does not.
    assert (
        "KS-202611-0001(共 2 张)"
        in only(_photo(db_url, "sales1", photo, now="2026-11-23T09:14"), user="sales1")["text"]
    )
    assert "请先用文字描述" in only(_photo(db_url, "sales1", photo, now="2026-11-23T09:15"), user="sales1")["text"]
    assert _rows(db_url, "SELECT count(*) FROM complaint_photo") == [(2,)]


def test_cancel_drops_the_draft_and_leaves_nothing_behind(db_url: str) -> None:
    bot = LocalChat(db_url)
    bot.say("sales1", "华为投诉 P40支架 颜色不一致", now="2026-11-23T09:00")
    assert only(bot.say("sales1", "取消", now="2026-11-23T09:01"), user="sales1")["text"] == "草稿已取消。"
    # The next number is not taken as the answer to the dropped question.
    assert "没太明白" in only(bot.say("sales1", "1000", now="2026-11-23T09:02"), user="sales1")["text"]
    assert _rows(db_url, "SELECT state, number FROM complaint") == [("cancelled", None)]
    assert _rows(db_url, "SELECT count(*) FROM counter") == [(0,)]


def test_another_request_while_a_question_is_open_is_answered_and_the_question_stays(db_url: str) -> None:
    bot = LocalChat(db_url)
    bot.say("sales1", "美的投诉 KS-10控制板 死机", now="2026-11-23T09:00")
    assert "没有找到" in only(bot.say("sales1", "KS-202611-0099 进度", now="2026-11-23T09:01"), user="sales1")["text"]
    answer = only(bot.say("sales1", "30片", now="2026-11-23T09:02"), user="sales1")
    assert field(card_of(answer), "数量") == "30"


def test_a_new_complaint_while_a_question_is_open_starts_a_new_draft(db_url: str) -> None:
    bot = LocalChat(db_url)
    bot.say("sales1", "美的投诉 KS-10控制板 死机", now="2026-11-23T09:00")
    out = only(bot.say("sales1", "格力投诉TX-500变压器异响 20台", now="2026-11-23T09:01"), user="sales1")
    assert card_of(out)["id"] == "f2v1" and field(card_of(out), "客户") == "格力电器"


def test_each_missing_field_is_asked_in_turn(db_url: str) -> None:
    bot = LocalChat(db_url)
    first = only(bot.say("sales2", "有客户投诉了", now="2026-11-23T09:00"), user="sales2")
    assert first["text"].endswith("是哪个客户?")
    assert only(bot.say("sales2", "宏达科技", now="2026-11-23T09:01"), user="sales2")["text"] == "是哪个产品(型号)?"
    assert only(bot.say("sales2", "AB-300", now="2026-11-23T09:02"), user="sales2")["text"] == "是什么问题(不良现象)?"
    assert only(bot.say("sales2", "漏水", now="2026-11-23T09:03"), user="sales2")["text"] == "影响数量是多少?"
    card = card_of(only(bot.say("sales2", "两百个", now="2026-11-23T09:04"), user="sales2"))
    assert [field(card, k) for k in ("客户", "产品", "不良", "数量")] == ["宏达科技", "AB-300", "漏水", "200"]


def test_a_file_that_is_not_an_image_is_refused(tmp_path: Path, db_url: str) -> None:
    fake = tmp_path / "notes.txt"
    fake.write_text("hello", encoding="utf-8")
    env = {"KESU_DATABASE_URL": db_url, "KESU_CONFIG": ""}
    result = CliRunner().invoke(app, ["say", "--as", "sales1", "--image", str(fake)], env=env)
    assert result.exit_code == 2 and "不是支持的图片" in result.stderr
    assert _rows(db_url, "SELECT count(*) FROM media") == [(0,)]


def test_my_tasks_lists_what_waits_for_me_with_due_times(db_url: str) -> None:
    bot = LocalChat(db_url)
    bot.say("sales1", "明辉电子投诉X200外壳划伤,200个,急", now="2026-11-23T09:00")
    bot.click("sales1", "f1v1", "confirm", now="2026-11-23T09:00")
    tasks = only(bot.say("qa1", "我的待办", now="2026-11-26T10:00"), user="qa1")["text"]
    assert "KS-202611-0001 明辉电子 X200 · 待品质确认 · 已超期 11-25 09:00" in tasks
    assert only(bot.say("rd1", "待办", now="2026-11-26T10:00"), user="rd1")["text"] == "您目前没有待办。"
    bot.say("sales2", "宏达科技投诉AB-300漏水", now="2026-11-26T10:01")  # a draft: the quantity is missing
    assert "另有 1 张草稿未提交。" in only(bot.say("sales2", "我的待办", now="2026-11-26T10:02"), user="sales2")["text"]


def test_a_visit_without_questions_is_recorded_and_says_how_to_add_them(db_url: str) -> None:
    bot = LocalChat(db_url)
    reply = only(bot.say("sales1", "昨天拜访了明辉电子,记录一下", now="2026-11-23T09:00"), user="sales1")["text"]
    assert reply.startswith("已记录拜访 #1 明辉电子") and "客户提出:1." in reply


def test_a_customer_named_on_an_earlier_form_is_recognised_later(db_url: str) -> None:
    bot = LocalChat(db_url)
    bot.say("sales1", "智米投诉FX-90风扇噪音大 20台", now="2026-11-23T09:00")
    bot.click("sales1", "f1v1", "confirm", now="2026-11-23T09:01")
    card = card_of(only(bot.say("sales2", "FX-90风扇噪音大 20台,是智米的", now="2026-11-24T09:00"), user="sales2"))
    assert field(card, "客户") == "智米"
