"""How 8D reports, return analyses, visits and satisfaction campaigns become ``record`` rows and back."""

from __future__ import annotations

from typing import Any

from core.analysis import AnalysisState, ReturnAnalysis
from core.campaign import Campaign, Survey
from core.eightd import EightD, EightDState, StepEntry
from core.visits import Question, Visit
from storage.codecs import Codec, from_iso, from_iso_required, to_iso

# --- 8D ----------------------------------------------------------------------------------------------


def eightd_to_data(e: EightD) -> dict[str, Any]:
    """EightD → JSON."""
    return {
        "complaint_id": e.complaint_id,
        "complaint_no": e.complaint_no,
        "repeats": list(e.repeats),
        "owner": e.owner,
        "opened_at": to_iso(e.opened_at),
        "created_at": to_iso(e.opened_at),
        "entries": [{"key": x.key, "text": x.text, "by": x.by, "at": to_iso(x.at)} for x in e.entries],
        "state": e.state.value,
        "version": e.version,
        "closed_at": to_iso(e.closed_at),
        "last_actor": e.last_actor,
        "last_at": to_iso(e.last_at),
    }


def eightd_from_data(record_id: int, d: dict[str, Any]) -> EightD:
    """JSON → EightD."""
    return EightD(
        id=record_id,
        complaint_id=int(d["complaint_id"]),
        complaint_no=str(d["complaint_no"]),
        repeats=tuple(d.get("repeats") or ()),
        owner=str(d["owner"]),
        opened_at=from_iso_required(d["opened_at"]),
        entries=tuple(
            StepEntry(x["key"], x["text"], x["by"], from_iso_required(x["at"])) for x in d.get("entries") or ()
        ),
        state=EightDState(d["state"]),
        version=int(d["version"]),
        closed_at=from_iso(d.get("closed_at")),
        last_actor=d.get("last_actor"),
        last_at=from_iso(d.get("last_at")),
    )


EIGHTDS: Codec[EightD] = Codec(
    "8d",
    eightd_to_data,
    eightd_from_data,
    lambda e: e.state.value,
    lambda e: e.label,
    frozenset({"closed"}),
)
# --- return analysis reports ------------------------------------------------------------------------


def analysis_to_data(a: ReturnAnalysis) -> dict[str, Any]:
    """ReturnAnalysis → JSON."""
    data: dict[str, Any] = {k: getattr(a, k) for k in ReturnAnalysis.__dataclass_fields__ if k != "id"}
    for k in ("opened_at", "due_at", "done_at"):
        data[k] = to_iso(data[k])
    data["created_at"] = data["opened_at"]
    data["returns"] = list(a.returns)
    data["state"] = a.state.value
    return data


def analysis_from_data(record_id: int, d: dict[str, Any]) -> ReturnAnalysis:
    """JSON → ReturnAnalysis."""
    values = {k: v for k, v in d.items() if k != "created_at"}
    for k in ("opened_at", "due_at", "done_at"):
        values[k] = from_iso(values.get(k))
    values["returns"] = tuple(values.get("returns") or ())
    values["state"] = AnalysisState(values["state"])
    return ReturnAnalysis(id=record_id, **values)


ANALYSES: Codec[ReturnAnalysis] = Codec(
    "ra",
    analysis_to_data,
    analysis_from_data,
    lambda a: a.state.value,
    lambda a: a.label,
    frozenset({"done"}),
)
# --- visits ------------------------------------------------------------------------------------------


def visit_to_data(v: Visit) -> dict[str, Any]:
    """Visit → JSON."""
    return {
        "customer": v.customer,
        "by": v.by,
        "visited_at": to_iso(v.visited_at),
        "created_at": to_iso(v.visited_at),
        "version": v.version,
        "questions": [
            {
                "text": q.text,
                "owner": q.owner,
                "due_at": to_iso(q.due_at),
                "answer": q.answer,
                "answered_by": q.answered_by,
                "answered_at": to_iso(q.answered_at),
            }
            for q in v.questions
        ],
    }


def visit_from_data(record_id: int, d: dict[str, Any]) -> Visit:
    """JSON → Visit."""
    return Visit(
        id=record_id,
        customer=str(d["customer"]),
        by=str(d["by"]),
        visited_at=from_iso_required(d["visited_at"]),
        version=int(d["version"]),
        questions=tuple(
            Question(
                text=q["text"],
                owner=q["owner"],
                due_at=from_iso_required(q["due_at"]),
                answer=q.get("answer"),
                answered_by=q.get("answered_by"),
                answered_at=from_iso(q.get("answered_at")),
            )
            for q in d.get("questions") or ()
        ),
    )


VISITS: Codec[Visit] = Codec(
    "visit", visit_to_data, visit_from_data, lambda v: v.state, lambda v: None, frozenset({"answered"})
)
# --- satisfaction campaigns ---------------------------------------------------------------------------


def campaign_to_data(c: Campaign) -> dict[str, Any]:
    """Campaign → JSON."""
    return {
        "name": c.name,
        "started_at": to_iso(c.started_at),
        "created_at": to_iso(c.started_at),
        "closes_at": to_iso(c.closes_at),
        "percent": c.percent,
        "seed": c.seed,
        "population": c.population,
        "items": list(c.items),
        "target": c.target,
        "surveys": [
            {
                "customer": s.customer,
                "owner": s.owner,
                "scores": [list(x) for x in s.scores],
                "note": s.note,
                "by": s.by,
                "at": to_iso(s.at),
            }
            for s in c.surveys
        ],
        "state": c.state,
        "version": c.version,
        "closed_at": to_iso(c.closed_at),
    }


def campaign_from_data(record_id: int, d: dict[str, Any]) -> Campaign:
    """JSON → Campaign."""
    return Campaign(
        id=record_id,
        name=str(d["name"]),
        started_at=from_iso_required(d["started_at"]),
        closes_at=from_iso_required(d["closes_at"]),
        percent=int(d["percent"]),
        seed=int(d["seed"]),
        population=int(d["population"]),
        items=tuple(d["items"]),
        target=int(d["target"]),
        surveys=tuple(
            Survey(
                customer=s["customer"],
                owner=s["owner"],
                scores=tuple((str(i), str(lv)) for i, lv in s.get("scores") or ()),
                note=s.get("note"),
                by=s.get("by"),
                at=from_iso(s.get("at")),
            )
            for s in d.get("surveys") or ()
        ),
        state=str(d["state"]),
        version=int(d["version"]),
        closed_at=from_iso(d.get("closed_at")),
    )


CAMPAIGNS: Codec[Campaign] = Codec(
    "campaign", campaign_to_data, campaign_from_data, lambda c: c.state, lambda c: None, frozenset({"closed"})
)
