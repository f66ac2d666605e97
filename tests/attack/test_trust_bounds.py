"""Bounds and malformed input: quantities beyond the configured maximum, negative, zero or not numbers,
over-long texts, card ids no database integer holds, NUL bytes, control characters and lone surrogates, and a
customer file with a NUL byte. Each is refused with a short Chinese sentence naming the field and the limit (or
cleaned and answered), never a crash, never a retry, and nothing stored changes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from bot.config import Settings
from bot.demo.app import create_demo_app
from bot.main import app
from bot.wiring import build
from storage.db import make_engine
from tests.attack.conftest import changed, snapshot
from tests.e2e.chat import LocalChat, card_of, only
from tests.feishu.conftest import FeishuBot, to
from tests.wecom.conftest import WeCom

BAD_QUANTITIES = {
    "9223372036854775807": "数量最多 1000000,收到的是 9223372036854775807。",
    "3000000000": "数量最多 1000000,收到的是 3000000000。",
    "-5": "数量要大于 0,收到的是 -5。",
    "0": "数量要大于 0,收到的是 0。",
    "abc": "数量要填正整数,收到的是「abc」。",
}
EVENT_TABLES = {"inbox", "outbox"}  # a refused event is kept (marked done) and its refusal sent


def _rows(db_url: str, sql: str) -> list[dict[str, Any]]:
    engine = make_engine(db_url)
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(sa.text(sql))]
    engine.dispose()
    for row in rows:
        if isinstance(row.get("payload"), str):
            row["payload"] = json.loads(row["payload"])
    return rows


def _refused(bot: LocalChat, user: str, card: str, action: str, **values: str) -> str:
    """The one answer to a refused tap; nothing but the inbox and the answer changed."""
    engine = make_engine(bot.db_url)
    before = snapshot(engine)
    text = str(only(bot.click(user, card, action, now="2026-11-23T12:00", **values), user=user)["text"])
    assert set(changed(before, snapshot(engine))) <= EVENT_TABLES
    engine.dispose()
    return text


def _submitted(bot: LocalChat) -> None:
    bot.say("sales1", "明辉电子投诉X200外壳划伤,200个,急", now="2026-11-23T09:00")
    bot.click("sales1", "f1v1", "confirm", now="2026-11-23T09:01")


def test_a_draft_refuses_quantities_out_of_bounds_naming_the_field_and_the_limit(db_url: str) -> None:
    bot = LocalChat(db_url)
    bot.say("sales1", "明辉电子投诉X200外壳划伤,急", now="2026-11-23T09:00")
    for quantity, sentence in BAD_QUANTITIES.items():
        assert _refused(bot, "sales1", "f1v1", "confirm", quantity=quantity) == sentence
    assert "KS-202611-0001" in str(bot.click("sales1", "f1v1", "confirm", now="2026-11-23T12:01", quantity="200"))


def test_a_complaint_of_three_billion_pieces_in_chat_is_refused(db_url: str) -> None:
    out = LocalChat(db_url).say("sales1", "明辉电子投诉X200外壳划伤,3000000000个", now="2026-11-23T09:00")
    assert only(out, user="sales1")["text"] == "数量最多 1000000,收到的是 3000000000。"
    assert _rows(db_url, "SELECT id FROM complaint") == []


def test_an_over_long_defect_or_customer_is_refused_naming_the_field_and_its_limit(db_url: str) -> None:
    bot = LocalChat(db_url)
    bot.say("sales1", "明辉电子投诉X200外壳划伤,急", now="2026-11-23T09:00")
    assert _refused(bot, "sales1", "f1v1", "confirm", quantity="5", defect="划" * 1001) == "不良描述最多 1000 字。"
    assert _refused(bot, "sales1", "f1v1", "confirm", quantity="5", contact="王" * 101) == "客户联系人最多 100 字。"


def test_every_typed_card_input_has_a_length_limit(db_url: str) -> None:
    bot = LocalChat(db_url)
    _submitted(bot)
    qa_card = "f1v2"
    text = _refused(bot, "qa1", qa_card, "valid", department="研发部", reason="因" * 1001)
    assert text == "原因最多 1000 字。"


def test_a_return_request_refuses_quantities_out_of_bounds(db_url: str) -> None:
    bot = LocalChat(db_url)
    _submitted(bot)
    for quantity, sentence in BAD_QUANTITIES.items():
        assert _refused(bot, "sales1", "f1v2", "request_return", quantity=quantity) == sentence.replace(
            "数量", "退货数量"
        )
    assert _rows(db_url, "SELECT id FROM record WHERE kind = 'return'") == []


def test_the_warehouse_and_qa_counts_are_bounded(db_url: str) -> None:
    bot = LocalChat(db_url)
    _submitted(bot)
    approval = card_of(only(bot.say("sales1", "申请退货 KS-202611-0001 200个", now="2026-11-23T10:00"), user="cs_mgr"))
    vp = card_of(only(bot.click("cs_mgr", approval["id"], "approve", now="2026-11-23T10:10"), user="vp"))
    receive = card_of(only(bot.click("vp", vp["id"], "approve", now="2026-11-23T11:00"), user="wh1"))["id"]
    assert _refused(bot, "wh1", receive, "receive", received_qty="9223372036854775807") == (
        "实收数量最多 1000000,收到的是 9223372036854775807。"
    )
    assert _refused(bot, "wh1", receive, "receive", received_qty="-5") == "实收数量要不小于 0,收到的是 -5。"
    assert _refused(bot, "wh1", receive, "receive", received_qty="abc") == "实收数量要填整数,收到的是「abc」。"
    out = bot.click("wh1", receive, "receive", now="2026-11-24T09:00", received_qty="198")
    process = card_of(only(out, user="qa1"))["id"]
    common = {"cause": "划伤", "ours": "是"}
    assert _refused(bot, "qa1", process, "process", good="3000000000", bad="0", **common) == (
        "良品数最多 1000000,收到的是 3000000000。"
    )
    assert _refused(bot, "qa1", process, "process", good="1", bad="-5", **common) == "不良数要不小于 0,收到的是 -5。"


@pytest.mark.parametrize(
    "card", ["f99999999999999999999999v1", "f1v99999999999999999999999", "f3000000000v1", "a2147483648s0"]
)
def test_a_card_id_no_database_integer_holds_gets_one_answer_and_no_retry(db_url: str, card: str) -> None:
    bot = LocalChat(db_url)
    bot.say("sales1", "明辉电子投诉X200外壳划伤,200个", now="2026-11-23T09:00")
    assert _refused(bot, "sales1", card, "confirm") == "卡片编号无效。"
    tap = _rows(db_url, "SELECT status, attempts, last_error, payload FROM inbox ORDER BY id")[-1]
    assert (tap["status"], tap["attempts"], tap["last_error"]) == ("done", 1, None)  # one attempt, no crash
    assert tap["payload"]["click"]["card_id"] == card


def test_nul_control_characters_and_lone_surrogates_typed_in_the_cli_are_cleaned_stored_and_answered(
    db_url: str,
) -> None:
    bot = LocalChat(db_url)
    out = bot.say("sales1", "明辉\x00电子\x1b投诉X200外壳划伤\ud800,200个", now="2026-11-23T09:00")
    assert "已记下" in str(only(out, user="sales1")["text"])
    stored = _rows(db_url, "SELECT status, payload FROM inbox")[0]
    assert stored["status"] == "done"
    assert stored["payload"]["text"] == "明辉电子投诉X200外壳划伤\ufffd,200个"
    out = bot.click("sales1", "f1v1", "confirm", now="2026-11-23T09:01", contact="王\x00五\udcff")
    assert "KS-202611-0001" in str(out)


# --- Feishu: signed taps and messages ----------------------------------------------------------------


def test_a_signed_feishu_tap_on_a_huge_card_id_is_refused_once_and_never_retried(feishu: FeishuBot) -> None:
    before = snapshot(feishu.kesu.engine)
    answer = feishu.tap("ou_sales1", "f99999999999999999999999v1", "confirm", message_id="om_huge")
    assert answer["toast"] == {"type": "error", "content": "卡片编号无效。"}
    assert set(changed(before, snapshot(feishu.kesu.engine))) <= EVENT_TABLES
    with feishu.kesu.engine.connect() as conn:
        row = conn.execute(sa.text("SELECT status, attempts, last_error FROM inbox ORDER BY id DESC")).first()
    assert row is not None and tuple(row) == ("done", 1, None)


def test_a_feishu_message_with_nul_and_a_lone_surrogate_is_stored_cleaned_and_answered(feishu: FeishuBot) -> None:
    resp = feishu.say("ou_sales1", "顺达\u0000电器投诉FX-90风扇异响\ud800,50个")
    assert resp.status_code == 200, resp.text
    with feishu.kesu.engine.connect() as conn:
        row = conn.execute(sa.text("SELECT status, payload FROM inbox ORDER BY id DESC")).first()
    assert row is not None
    payload = row.payload if isinstance(row.payload, dict) else json.loads(row.payload)
    assert (row.status, payload["text"]) == ("done", "顺达电器投诉FX-90风扇异响\ufffd,50个")
    out = to(feishu.deliver(), "ou_sales1")
    assert any("已记下" in json.dumps(m["content"], ensure_ascii=False) for m in out), out


def test_a_feishu_form_value_with_nul_is_stored_cleaned(feishu: FeishuBot) -> None:
    feishu.say("ou_sales1", "美的投诉P40漏电,急")
    draft = next(m for m in to(feishu.deliver(), "ou_sales1") if m["msg_type"] == "interactive")
    card = json.dumps(draft["content"])
    card_id = card.split('"card": "', 1)[1].split('"', 1)[0]
    answer = feishu.tap("ou_sales1", card_id, "confirm", message_id="om_nul", quantity="3\u0000", contact="李\ud800")
    assert answer["toast"]["type"] == "success", answer


def test_a_wecom_message_with_c1_control_characters_is_stored_cleaned_and_answered(wecom: WeCom) -> None:
    # XML 1.0 forbids NUL and lone surrogates but lets C1 controls through; they are dropped like the rest.
    resp = wecom.text("sales1", "顺达\x85电器投诉FX-90风扇异响\x9f,50个")
    assert resp.status_code == 200, resp.text
    wecom.settle()
    with wecom.kesu.engine.connect() as conn:
        row = conn.execute(sa.text("SELECT status, payload FROM inbox ORDER BY id DESC")).first()
    assert row is not None
    payload = row.payload if isinstance(row.payload, dict) else json.loads(row.payload)
    assert (row.status, payload["text"]) == ("done", "顺达电器投诉FX-90风扇异响,50个")


# --- the demo and the customer file ----------------------------------------------------------------------


@pytest.fixture
def demo_app(tmp_path: Path) -> Iterator[FastAPI]:
    """The simulator's app on a fresh SQLite database (as tests/demo builds it)."""
    kesu = build(Settings(database_url=f"sqlite:///{tmp_path / 'kesu.db'}", config=None))
    try:
        yield create_demo_app(kesu, start=datetime(2026, 11, 23, 9, tzinfo=kesu.config.timezone))
    finally:
        kesu.close()


def test_the_demo_answers_a_lone_surrogate_normally(demo_app: FastAPI) -> None:
    client = TestClient(demo_app, base_url="http://127.0.0.1:8765", raise_server_exceptions=False)

    def post(path: str, body: dict[str, Any]) -> Any:  # escaped JSON, as a browser may send a lone surrogate
        return client.post(path, content=json.dumps(body), headers={"Content-Type": "application/json"})

    said = post("/api/say", {"user": "sales1", "text": "明辉电子投诉X200外壳划伤\ud800\u0000,200个"})
    assert said.status_code == 200, said.text
    assert said.json()["entries"][0]["message"] == {"text": "明辉电子投诉X200外壳划伤\ufffd,200个"}
    tapped = post(
        "/api/click", {"user": "sales1", "card_id": "f1v1", "action": "confirm", "values": {"contact": "\udcff"}}
    )
    assert tapped.status_code == 200, tapped.text
    nobody = post("/api/say", {"user": "\ud800", "text": "你好"})
    assert nobody.status_code == 404
    assert post("/api/clock", {"step": "\ud800"}).status_code == 422
    assert post("/api/say", {"user": "sales1", "text": "\ud800" * 3000}).status_code == 422


def _import(db_url: str, path: Path) -> tuple[int, str]:
    env = {"KESU_DATABASE_URL": db_url, "KESU_CONFIG": ""}
    result = CliRunner().invoke(app, ["customers", "import", str(path)], env=env)
    return result.exit_code, result.output


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("名称,负责业务员\n明辉电子,sales1\n顺达\x00电器,sales2\n".encode(), "第 3 行:“名称”含有控制字符"),
        (b"\xe5\x90\x8d\xe7\xa7\xb0,owner\nok,sales1\n\xff\xfe,sales1\n", "第 3 行:不是 UTF-8 编码的文字"),
        (f"名称,负责业务员,地址\n明辉电子,sales1,{'路' * 1001}\n".encode(), "第 2 行:“地址”最多 1000 字"),
        (f"名称,负责业务员\n{'明' * 101},sales1\n".encode(), "第 2 行:“名称”最多 100 字"),
    ],
    ids=["nul", "undecodable", "long-address", "long-name"],
)
def test_a_customer_file_with_nul_undecodable_or_over_long_cells_is_refused_by_line(
    db_url: str, tmp_path: Path, content: bytes, problem: str
) -> None:
    path = tmp_path / "customers.csv"
    path.write_bytes(content)
    code, output = _import(db_url, path)
    assert code == 1 and problem in output, output
    assert _rows(db_url, "SELECT id FROM customer") == []


def test_the_configured_maximum_quantity_is_the_one_applied(db_url: str, tmp_path: Path) -> None:
    config = tmp_path / "kesu.toml"
    example = Path(__file__).resolve().parents[2] / "kesu.example.toml"
    config.write_text(example.read_text(encoding="utf-8") + "\n[limits]\nmax_quantity = 100\n", encoding="utf-8")
    env = {"KESU_DATABASE_URL": db_url, "KESU_CONFIG": str(config)}
    said = CliRunner().invoke(
        app, ["say", "--as", "sales1", "--now", "2026-11-23T09:00", "明辉电子投诉X200外壳划伤,150个"], env=env
    )
    assert said.exit_code == 0 and "数量最多 100,收到的是 150。" in said.output, said.output


def test_kesu_chat_takes_a_superscript_or_a_huge_number_as_text_not_a_crash(tmp_path: Path) -> None:
    env = {"KESU_DATABASE_URL": f"sqlite:///{tmp_path / 'k.db'}", "KESU_CONFIG": ""}
    typed = "明辉电子投诉X200外壳划伤,急\n²\n" + "9" * 5000 + "\n/q\n"
    result = CliRunner().invoke(app, ["chat", "--as", "sales1"], env=env, input=typed)
    assert result.exit_code == 0, result.output
    assert result.exception is None


def test_an_over_long_visit_question_is_refused_and_no_visit_is_recorded(db_url: str) -> None:
    text = "拜访明辉电子,客户提出:1." + "交期太长" * 300 + " 2.包装要改进"
    out = LocalChat(db_url).say("sales1", text, now="2026-11-23T09:00")
    assert only(out, user="sales1")["text"] == "客户问题最多 1000 字。"
    assert _rows(db_url, "SELECT id FROM record WHERE kind = 'visit'") == []
