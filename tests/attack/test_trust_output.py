"""Output is data: what people type reaches the monthly workbook, the customer CSV, WeCom and Feishu messages and
the demo page, and in none of them does it become a formula, a link, a tag, an @-everyone or markup. One test per
sink, each fed the same hostile text; the text itself still shows as typed."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime, timedelta, timezone
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from bot.config import Settings
from bot.customer_file import read_rows, to_csv
from bot.feishu import render as feishu
from bot.main import app
from bot.protocol import Button, Card, CardField, message_payload
from bot.reports import monthly
from bot.wecom import render as wecom
from bot.wecom.sender import WeComSender
from bot.wiring import build
from core.archive_flow import COLUMNS
from core.customers import Contact, CustomerRecord
from core.report import ClockRow, Count, MonthlySummary, RegisterRow
from tests.wecom.conftest import WeCom

CST = timezone(timedelta(hours=8))
FORMULAS = ('=HYPERLINK("http://evil","x")', "+1+1", "-2", "@SUM(A1)", "\t=1+1", "\r=1+1")
LINK = "[点此](http://evil)"
FONT = '<font color="warning">红</font>'
AT_ALL = '<at person_id="all"></at>'
SCRIPT = "<script>alert(1)</script>"
ENTITY = "&lt;at person_id=&quot;all&quot;&gt;&lt;/at&gt;"
HOSTILE = (*FORMULAS, LINK, FONT, AT_ALL, SCRIPT, ENTITY, "**粗体**", "`代码`", "> 引用", "# 标题", "x\r# 标题")
INVISIBLE = "\u200b"


def _seen(text: str) -> str:
    """What a person reads: the invisible break characters dropped."""
    return text.replace(INVISIBLE, "")


# ---------------------------------------------------------------- spreadsheets


def _summary(customer: str, product: str, problem: str, department: str) -> MonthlySummary:
    at = datetime(2026, 11, 2, 9, 30, tzinfo=CST)
    row = RegisterRow(
        number="KS-2611-001",
        customer=customer,
        product=product,
        problem=problem,
        department=department,
        severity="普通件",
        state="处理中",
        quantity=-2,
        received_at=at,
        closed_at=None,
        repeat=False,
        clocks=(ClockRow("handling", "处理", at, at + timedelta(days=5), None, False),),
    )
    return MonthlySummary(
        month="2026-11",
        previous_month="2026-10",
        complaints=1,
        previous_complaints=0,
        by_problem=(Count("p", problem, 1),),
        by_customer=(Count("c", customer, 1),),
        by_product=(Count("x", product, 1),),
        by_department=(Count("d", department, 1),),
        handled_in_time=0,
        handling_due=0,
        first_response_in_time=0,
        first_response_due=0,
        repeats=0,
        open_8d=0,
        overdue_open=0,
        ageing=(),
        returns=0,
        previous_returns=0,
        returned_quantity=0,
        rma_anomalies=(),
        register=(row,),
    )


# XML reads a carriage return back as a line feed, so the workbook is fed the others.
@pytest.mark.parametrize("hostile", [f for f in FORMULAS if "\r" not in f])
def test_the_monthly_workbook_writes_a_would_be_formula_as_the_text_typed(hostile: str) -> None:
    summary = _summary(hostile, hostile + "产品", hostile, hostile)
    book = load_workbook(BytesIO(monthly.workbook_xlsx(summary)))
    cells = [cell for ws in book.worksheets for row in ws.iter_rows() for cell in row]
    formulas = [cell.coordinate for cell in cells if cell.data_type == "f"]
    assert formulas == []
    typed = [cell for cell in cells if isinstance(cell.value, str) and cell.value.startswith(hostile)]
    assert len(typed) >= 8  # customer, product, problem, department: in the register and in the summary's tables
    assert all(cell.data_type == "s" and cell.quotePrefix for cell in typed)
    register = book["登记表"]
    assert register["B2"].value == hostile
    assert register["H2"].value == -2 and register["H2"].data_type == "n"  # a number stays a number


def _record(name: str, **fields: Any) -> CustomerRecord:
    at = datetime(2026, 11, 2, 9, 30, tzinfo=CST)
    return CustomerRecord(id=None, name=name, owner="sales1", created_at=at, updated_at=at, **fields)


def test_the_customer_csv_puts_a_quote_before_every_cell_that_would_start_a_formula() -> None:
    records = [
        _record(
            hostile,
            aliases=(hostile,),
            legal_name=hostile,
            address=hostile,
            contacts=(Contact(hostile, "+8613800138000", "a@b.example", hostile),),
            credit_note=hostile,
        )
        for hostile in FORMULAS
    ]
    rows = list(csv.reader(io.StringIO(to_csv(records), newline="")))[1:]
    assert len(rows) == len(FORMULAS)  # a carriage return in a cell is quoted: it starts no row of its own
    for hostile, row in zip(FORMULAS, rows, strict=True):
        assert row[COLUMNS.index(("phone", "电话", "phone"))] == "'+8613800138000"
        for index in (0, 1, 4, 6, 7, 10, 11):
            assert row[index] == "'" + hostile
    plain = list(csv.reader(io.StringIO(to_csv([_record("明辉电子", credit_note="月结60天")]))))[1]
    assert plain[0] == "明辉电子" and plain[11] == "月结60天"  # ordinary text is left alone


def test_reading_a_csv_takes_off_only_the_quote_the_export_put_there(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text("名称,信用\n'=1+1,'+86\n'明辉,''=x\n", encoding="utf-8")
    assert [values for _, values in read_rows(path)] == [
        {"name": "=1+1", "credit_note": "+86"},
        {"name": "'明辉", "credit_note": "'=x"},
    ]


def _cli(db_url: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env={"KESU_DATABASE_URL": db_url, "KESU_CONFIG": ""})
    return result.exit_code, result.stdout


def test_an_exported_archive_is_formula_safe_and_imports_back_unchanged(db_url: str, tmp_path: Path) -> None:
    header = [zh for _, zh, _ in COLUMNS]
    names = ['=HYPERLINK("http://evil","x")', "+1+1", "-2", "@SUM(A1)"]
    rows = [[name, "", "sales1", "否", "", "", "", "王经理", "+8613800138000", "", "", "-5%"] for name in names]
    source = tmp_path / "in.csv"
    with source.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([header, *rows])
    code, out = _cli(db_url, "customers", "import", str(source))
    assert code == 0, out

    exported = tmp_path / "out.csv"
    assert _cli(db_url, "customers", "export", "--out", str(exported))[0] == 0
    with exported.open(encoding="utf-8-sig", newline="") as f:
        cells = [cell for row in list(csv.reader(f))[1:] for cell in row]
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@")]

    code, out = _cli(db_url, "customers", "import", str(exported))
    assert code == 0 and "更新 4 个客户" in out, out
    assert _cli(db_url, "customers", "export")[1].splitlines() == exported.read_text(encoding="utf-8-sig").splitlines()
    kesu = build(Settings(database_url=db_url, config=None), migrate=False)
    try:
        with kesu.uow() as uow:
            stored = {r.name: r for r in uow.customers.all()}
    finally:
        kesu.close()
    assert sorted(stored) == sorted(names)
    assert {r.credit_note for r in stored.values()} == {"-5%"}
    assert {c.phone for r in stored.values() for c in r.contacts} == {"+8613800138000"}


# ---------------------------------------------------------------- WeCom


def _card(value: str, *, actions: bool = True) -> Card:
    return Card(
        id="f1v2",
        title=f"客诉 KS-2611-001 {value}",
        fields=(CardField("客户", value), CardField(value, "外观不良"), CardField("描述", f"划伤\n{value}\n> 已关闭")),
        actions=(Button("accept", "受理"),) if actions else (),
    )


def _markup_free(markdown: str) -> None:
    """Only Kesu's own markup is left: the bold title, the quoted field lines and the grey hint."""
    assert "](" not in markdown and '<font color="warning">' not in markdown and "<at" not in markdown
    assert "<script" not in markdown and "`" not in markdown
    for line in markdown.splitlines():
        assert not line.lstrip().startswith("#") and "&lt;" not in line
        bold = re.findall(r"\*\*", line)
        assert not bold or (line.startswith("**") and line.endswith("**") and len(bold) == 2), line


@pytest.mark.parametrize("hostile", HOSTILE)
def test_wecom_group_markdown_shows_what_people_typed_as_text(hostile: str) -> None:
    payload = message_payload(text=f"已登记:{hostile}\n{hostile}", card=_card(hostile))
    body = WeComSender._group_body(payload)
    assert body["msgtype"] == "markdown"
    content = body["markdown"]["content"]
    _markup_free(content)
    lines = content.split("\n")
    assert len([line for line in lines if line.startswith(">")]) == 3  # one quoted line per field, no more
    assert lines[-1] == '<font color="comment">请在 Kesu 应用消息中处理</font>'  # Kesu's own formatting
    title = next(n for n, line in enumerate(lines) if line.startswith("**客诉 KS-2611-001 "))
    one_line = " ".join(hostile.splitlines()).replace("`", "ˋ")
    assert [_seen(line) for line in lines[title + 1 : title + 3]] == [f"> 客户:{one_line}", f"> {one_line}:外观不良"]


def test_wecom_markdown_for_a_card_without_buttons_is_escaped_too() -> None:
    content = wecom.markdown_message(message_payload(card=_card(LINK + FONT, actions=False)))["markdown"]["content"]
    _markup_free(content)
    assert _seen(content).splitlines()[1] == f"> 客户:{LINK}{FONT}"


@pytest.mark.parametrize("hostile", ['<a href="http://evil">点此</a>', FONT, SCRIPT, ENTITY])
def test_a_wecom_text_message_opens_no_tag_from_what_people_typed(hostile: str) -> None:
    body = WeComSender._group_body(message_payload(text=f"客户 {hostile} 已登记"))
    assert body["msgtype"] == "text"
    content = body["text"]["content"]
    assert "<a" not in content and "<font" not in content and "<script" not in content and "&lt;" not in content
    assert _seen(content) == f"客户 {hostile} 已登记"
    reply = wecom.text_reply_xml(to_user="u", corp_id="c", agent_id="1", text=hostile, at=0)
    assert "<a href" not in reply and "<font" not in reply


def test_wecom_template_cards_carry_what_people_typed_in_plain_text_fields() -> None:
    """button_interaction fields are plain text on WeCom (no markdown), so they carry the text unchanged."""
    body = wecom.template_card(message_payload(card=_card(LINK)), task="t1")
    assert body["horizontal_content_list"][0] == {"keyname": "客户", "value": LINK}
    assert "markdown" not in json.dumps(body)


# ---------------------------------------------------------------- Feishu


@pytest.mark.parametrize(
    "hostile", [AT_ALL, '<at person_id="ou_x">老板</at>', LINK, '<a href="http://evil">x</a>', ENTITY]
)
def test_a_feishu_text_message_never_mentions_everyone_or_links_from_what_people_typed(hostile: str) -> None:
    text = json.loads(feishu.text_content(f"客户 {hostile} 已登记"))["text"]
    assert "<at" not in text and "<a " not in text and "](" not in text and "&lt;" not in text
    assert _seen(text) == f"客户 {hostile} 已登记"


def test_a_feishu_text_message_keeps_kesus_own_bold() -> None:
    assert json.loads(feishu.text_content("**📊 2026-11 客诉月报**"))["text"] == "**📊 2026-11 客诉月报**"


@pytest.mark.parametrize("hostile", HOSTILE)
def test_feishu_card_markdown_escapes_what_people_typed(hostile: str) -> None:
    built = feishu.card(_card(hostile).to_dict(), text=f"已登记:{hostile}")
    markdown = [e["content"] for e in built["body"]["elements"] if e["tag"] == "markdown"]
    assert len(markdown) == 2
    for content in markdown:
        bare = re.sub(r"&#\d+;", "", content)  # what is left once the escaped characters are taken out
        for raw in ("<", ">", "[", "]", "`", "#", "&"):
            assert raw not in bare
        assert bare.count("**") == (6 if content is markdown[1] else 0)  # Kesu's bold labels only
    assert built["header"]["title"] == {"tag": "plain_text", "content": f"客诉 KS-2611-001 {hostile}"}


# ---------------------------------------------------------------- HTML (the demo page)


def test_the_demo_page_puts_text_into_the_page_as_text_never_as_html() -> None:
    page = (Path(__file__).resolve().parents[2] / "bot" / "demo" / "page.html").read_text(encoding="utf-8")
    script = page[page.index("<script>") :]
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert sink not in script
    assert 'else if (k === "text") node.textContent = v;' in script


def test_a_control_character_in_a_stored_name_does_not_stop_the_monthly_workbook() -> None:
    summary = _summary("明辉\x01电子\x0b", "PCB\x1f", "外观不良", "生产部")
    book = load_workbook(BytesIO(monthly.workbook_xlsx(summary)))
    assert book["登记表"]["B2"].value == "明辉电子"
    assert book["登记表"]["C2"].value == "PCB"


def test_a_complaint_typed_with_a_font_tag_reaches_the_wecom_group_as_text(wecom: WeCom) -> None:
    wecom.text("sales1", f"明辉电子投诉X200外壳{FONT},200个,急")
    wecom.drain()
    wecom.click("sales1", wecom.fake.cards_to("sales1")[-1], "提交")
    wecom.drain()
    content = wecom.fake.sent("appchat/send")[-1].body["markdown"]["content"]
    assert "明辉电子" in content and '<font color="warning">' not in content
    defect = next(line for line in content.split("\n") if line.startswith("> 不良:"))
    assert _seen(defect).startswith('> 不良:<font color="warning">红')
    assert content.endswith('<font color="comment">请在 Kesu 应用消息中处理</font>')  # Kesu's own tag still works


def test_a_dollar_sign_in_a_problem_type_is_drawn_as_text_in_the_pareto_chart() -> None:
    """Matplotlib reads ``$…$`` as mathtext and raises on what it cannot parse: a label is text."""
    assert monthly.pareto_png(_summary("明辉电子", "X200", "$x^$ 外观", "生产部")).startswith(b"\x89PNG")
