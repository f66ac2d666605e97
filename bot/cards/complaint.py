"""Cards for the complaint form: pure functions from a form to a neutral Card."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo
from typing import Any

from bot.protocol import Button, Card, CardField, Input
from core import complaint as c
from core import kinds, problems
from core.audit import AuditEntry
from core.clocks import CLOCK_LABELS
from core.duties import BY_QA
from core.org import Org


def card_id(form: c.Complaint) -> str:
    """The form's id and version: a click on it is valid only while the form is at that version."""
    return kinds.COMPLAINT.card_id(form.id, form.version)


def _when(at: datetime | None, tz: tzinfo) -> str:
    return at.astimezone(tz).strftime("%m-%d %H:%M") if at else "—"


def _fields(form: c.Complaint, org: Org, tz: tzinfo) -> list[CardField]:
    d = form.details
    out = [
        CardField("编号", form.label),
        CardField("状态", c.STATE_LABELS[form.state]),
        CardField("客户", d.customer or "(待填)"),
        CardField("产品", d.product or "(待填)"),
        CardField("不良", d.defect or "(待填)"),
        CardField("数量", str(d.quantity) if d.quantity else "(待填)"),
        CardField("紧急", c.SEVERITY_LABELS[d.severity]),
    ]
    if d.order_no:
        out.append(CardField("订单号", d.order_no))
    out.append(CardField("业务员", org.name_of(form.owner)))
    if form.photos:
        out.append(CardField("照片", f"{len(form.photos)} 张"))
    if form.problem:
        out.append(CardField("问题类型", problems.label(form.problem, org.problem_types)))
    if form.repeat_of:
        out.append(CardField("⚠️ 重复投诉", "与 " + "、".join(form.repeat_of) + " 相同"))
    if form.department:
        dept = org.department(form.department)
        out.append(CardField("责任部门", dept.name if dept else form.department))
    if form.round > 1:
        out.append(CardField("处理轮次", f"第 {form.round} 轮"))
    if form.response:
        r = form.response
        out += [
            CardField("紧急对策", r.containment),
            CardField("根本原因", r.root_cause),
            CardField("纠正措施", r.corrective),
        ]
        if r.preventive:
            out.append(CardField("预防措施", r.preventive))
        if r.by_qa:
            out.append(CardField("对策提交人", f"{org.name_of(r.by)}({BY_QA})"))
    if form.qa_comment:
        out.append(CardField("品质意见", form.qa_comment))
    if form.invalid_reason:
        out.append(CardField("判定原因", form.invalid_reason))
    if form.customer_note:
        out.append(CardField("客户意见", form.customer_note))
    for clock in form.clocks:
        state = f"已完成 {_when(clock.met_at, tz)}" if clock.met_at else f"截止 {_when(clock.due_at, tz)}"
        out.append(CardField(CLOCK_LABELS[clock.name], state))
    return out


_INPUTS: dict[c.State, tuple[Input, ...]] = {
    c.State.SUBMITTED: (
        Input("department", "责任部门(有效时必填)"),
        Input("problem", "问题类型(可改)"),
        Input("reason", "原因(客户原因/误投时必填)"),
    ),
    c.State.ASSIGNED: (
        Input("containment", c.RESPONSE_LABELS["containment"], required=True),
        Input("root_cause", c.RESPONSE_LABELS["root_cause"], required=True),
        Input("corrective", c.RESPONSE_LABELS["corrective"], required=True),
        Input("preventive", c.RESPONSE_LABELS["preventive"]),
    ),
    c.State.RESPONDED: (Input("comment", "验证意见(无效时必填)"),),
    c.State.VERIFIED: (Input("note", "回复内容(选填)"),),
    c.State.REPORTED: (Input("note", "客户意见(不接受时必填)"),),
    c.State.INVALID: (Input("note", "说明情况(选填)"),),
}

_TITLES: dict[c.State, str] = {
    c.State.DRAFT: "请确认客诉信息",
    c.State.SUBMITTED: "新客诉:请确认有效性并指派责任部门",
    c.State.ASSIGNED: "请填写对策(围堵、原因、纠正、预防)",
    c.State.RESPONDED: "请验证对策效果",
    c.State.VERIFIED: "对策已验证有效:请回复客户",
    c.State.REPORTED: "请登记客户是否确认接收",
    c.State.INVALID: "判定非我方责任:请向客户说明",
}


def draft_inputs(form: c.Complaint) -> tuple[Input, ...]:
    """The missing required fields first, then the optional ones not yet known."""
    missing = form.details.missing()
    inputs = [Input(n, c.DETAIL_LABELS[n], required=True) for n in missing]
    for name in ("severity", "order_no", "contact"):
        if name == "severity" or getattr(form.details, name) is None:
            inputs.append(Input(name, c.DETAIL_LABELS[name] + ("(急件/普通件)" if name == "severity" else "")))
    return tuple(inputs)


def action_card(form: c.Complaint, org: Org, tz: tzinfo) -> Card:
    """The card for whoever acts next: the form's fields, its buttons and inputs."""
    inputs = draft_inputs(form) if form.state is c.State.DRAFT else _INPUTS.get(form.state, ())
    return Card(
        id=card_id(form),
        title=f"{form.label} {_TITLES.get(form.state, c.STATE_LABELS[form.state])}",
        fields=tuple(_fields(form, org, tz)),
        actions=tuple(Button(a.value, c.ACTION_LABELS[a]) for a in c.allowed_actions(form)),
        inputs=inputs,
    )


def status_card(form: c.Complaint, org: Org, tz: tzinfo, *, can_return: bool = False) -> Card:
    """A view of the form; sales may start a return from it (申请退货, with the quantity to return)."""
    if not (can_return and form.number):
        return Card(id=card_id(form), title=f"{form.label} 进度", fields=tuple(_fields(form, org, tz)))
    return Card(
        id=card_id(form),
        title=f"{form.label} 进度",
        fields=tuple(_fields(form, org, tz)),
        actions=(Button("request_return", "申请退货"),),
        inputs=(
            Input("quantity", f"退货数量(默认 {form.details.quantity})"),
            Input("reason", f"原因(退货数量超过 {form.details.quantity} 时必填)"),
        ),
    )


def history_lines(entries: Sequence[AuditEntry], org: Org, tz: tzinfo) -> list[str]:
    """One short line per audit entry: time, who, what."""
    labels = {a.value: label for a, label in c.ACTION_LABELS.items()} | {"draft": "登记草稿"}
    lines = []
    for e in entries:
        note = f"({e.note})" if e.note else ""
        lines.append(f"{_when(e.at, tz)} {org.name_of(e.actor)} {labels.get(e.action, e.action)}{note}")
    return lines


def step_notice(before: c.Complaint, after: c.Complaint, org: Org) -> str:
    """What the sales owner (and the person who tapped) is told after a step."""
    event = after.events[-1]
    who = org.name_of(event.actor)
    what = c.ACTION_LABELS[event.action]
    extra = f":{event.note}" if event.note and event.action is not c.Action.CONFIRM else ""
    return f"{after.label} {who} {what}{extra}。当前:{c.STATE_LABELS[after.state]}。"


# Which card inputs each button reads (a terminal or simple UI asks only for these).
ACTION_INPUTS: dict[str, tuple[str, ...]] = {
    c.Action.CANCEL: (),
    c.Action.VALID: ("department", "problem"),
    c.Action.CUSTOMER_CAUSED: ("reason",),
    c.Action.MISDIRECTED: ("reason",),
    c.Action.RESPOND: ("containment", "root_cause", "corrective", "preventive"),
    c.Action.EFFECTIVE: ("comment",),
    c.Action.NOT_EFFECTIVE: ("comment",),
    c.Action.REPORTED: ("note",),
    c.Action.ACCEPTED: ("note",),
    c.Action.NOT_ACCEPTED: ("note",),
    c.Action.EXPLAINED: ("note",),
}


def inputs_for(action: str, inputs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The card inputs (as JSON) that ``action`` reads; all of them for an action not listed (confirm)."""
    names = ACTION_INPUTS.get(action)
    return inputs if names is None else [i for i in inputs if i["name"] in names]
