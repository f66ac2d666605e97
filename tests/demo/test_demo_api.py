"""The simulator's JSON API: the same say/click/tick path as the CLI, its clock, and bad input refused."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient

LOCAL = "http://127.0.0.1:8765"  # the demo answers only requests addressed to a loopback name (not "testserver")


def _cards(entries: list[dict[str, Any]], conv: str) -> list[dict[str, Any]]:
    return [e["message"]["card"] for e in entries if e["conv"] == conv and e["message"].get("card")]


def test_state_lists_people_chats_and_the_clock(demo_app: FastAPI) -> None:
    state = TestClient(demo_app, base_url=LOCAL).get("/api/state").json()
    assert state["now"] == "2026-11-23T09:00+08:00"
    people = {p["id"]: p for p in state["people"]}
    assert people["qa1"]["roles"] == ["品质工程师"]
    assert {c["id"] for c in state["chats"]} == {"qa", "mgmt", "sales"}
    assert set(state["steps"]) == {"1h", "1d", "3d", "month"}


def test_page_is_served_in_chinese(demo_app: FastAPI) -> None:
    page = TestClient(demo_app, base_url=LOCAL).get("/")
    assert page.status_code == 200
    assert 'lang="zh-CN"' in page.text and "Kesu 客诉助手" in page.text


def test_a_complaint_goes_from_sales_to_qa_to_the_department(demo_app: FastAPI) -> None:
    client = TestClient(demo_app, base_url=LOCAL)
    said = client.post("/api/say", json={"user": "sales1", "text": "明辉电子投诉X200外壳划伤,200个,急"}).json()
    assert said["entries"][0] == {
        "seq": 1,
        "at": "2026-11-23T09:00+08:00",
        "conv": "user:sales1",
        "from": "sales1",
        "message": {"text": "明辉电子投诉X200外壳划伤,200个,急"},
    }
    draft = _cards(said["entries"], "user:sales1")[0]
    confirmed = client.post("/api/click", json={"user": "sales1", "card_id": draft["id"], "action": "confirm"}).json()[
        "entries"
    ]
    qa_card = _cards(confirmed, "user:qa1")[0]
    assert _cards(confirmed, "chat:qa")[0]["id"] == qa_card["id"]
    # The page sends every input box; blank ones are left out, as `kesu click` without that --set.
    valid = client.post(
        "/api/click",
        json={
            "user": "qa1",
            "card_id": qa_card["id"],
            "action": "valid",
            "values": {"department": " 研发部 ", "problem": "  "},
        },
    ).json()["entries"]
    rd_card = _cards(valid, "user:rd1")[0]
    assert {"label": "责任部门", "value": "研发部"} in rd_card["fields"]
    assert {"label": "问题类型", "value": "外观"} in rd_card["fields"]  # the suggestion stands: blank changes nothing
    log = client.get("/api/state", params={"after": 0}).json()["log"]
    assert [e["seq"] for e in log] == list(range(1, len(log) + 1))
    assert client.get("/api/state", params={"after": len(log)}).json()["log"] == []


def test_a_tap_by_the_wrong_person_is_refused_and_changes_nothing(demo_app: FastAPI) -> None:
    client = TestClient(demo_app, base_url=LOCAL)
    said = client.post("/api/say", json={"user": "sales1", "text": "明辉电子投诉X200外壳划伤,200个,急"}).json()
    draft = _cards(said["entries"], "user:sales1")[0]
    confirmed = client.post("/api/click", json={"user": "sales1", "card_id": draft["id"], "action": "confirm"}).json()
    qa_card = _cards(confirmed["entries"], "user:qa1")[0]
    refused = client.post(
        "/api/click",
        json={"user": "sales2", "card_id": qa_card["id"], "action": "valid", "values": {"department": "研发部"}},
    ).json()["entries"]
    assert [e["conv"] for e in refused] == ["user:sales2"]
    assert "品质" in refused[0]["message"]["text"]
    status = client.post("/api/say", json={"user": "sales1", "text": "KS-202611-0001 进度"}).json()["entries"]
    form = next(e["message"]["card"] for e in status if e["message"].get("card"))
    assert {"label": "状态", "value": "待品质确认"} in form["fields"]


def test_unknown_people_chats_steps_and_bad_photos_get_a_4xx(demo_app: FastAPI) -> None:
    client = TestClient(demo_app, base_url=LOCAL)
    assert client.post("/api/say", json={"user": "nobody", "text": "你好"}).status_code == 404
    assert client.post("/api/say", json={"user": "sales1", "text": "你好", "chat": "nochat"}).status_code == 404
    assert client.post("/api/say", json={"user": "sales1", "text": ""}).status_code == 422
    assert client.post("/api/say", content=b"not json", headers={"content-type": "application/json"}).status_code == 422
    assert client.post("/api/click", json={"user": "nobody", "card_id": "f1v1", "action": "x"}).status_code == 404
    assert client.post("/api/clock", json={"step": "1y"}).status_code == 422
    assert client.post("/api/photo", params={"user": "sales1"}, content=b"<html>").status_code == 415
    assert client.get("/media/nothing").status_code == 404
    assert client.get("/api/state").json()["log"] == []


def test_the_clock_runs_the_scheduler_on_the_way(demo_app: FastAPI) -> None:
    client = TestClient(demo_app, base_url=LOCAL)
    said = client.post("/api/say", json={"user": "sales1", "text": "明辉电子投诉X200外壳划伤,200个,急"}).json()
    draft = _cards(said["entries"], "user:sales1")[0]
    client.post("/api/click", json={"user": "sales1", "card_id": draft["id"], "action": "confirm"})
    moved = client.post("/api/clock", json={"step": "3d"}).json()
    assert moved["now"].startswith("2026-11-26T09:0")
    convs = {e["conv"] for e in moved["entries"]}
    assert "chat:qa" in convs  # the daily digest of 11-24 08:30 (and later days)
    reminders = [e for e in moved["entries"] if e["conv"] == "user:qa1" and e["message"].get("card")]
    assert reminders, "QA's verification clock should have reminded or escalated"
    assert all(e["at"] <= moved["now"] for e in moved["entries"])
    month = client.post("/api/clock", json={"step": "month"}).json()
    assert month["now"].startswith("2026-12-01T09:0")
    report = [e["message"] for e in month["entries"] if e["conv"] == "chat:mgmt"]
    assert any("2026-11 客诉月报" in (m.get("text") or "") for m in report)
    chart = next(m["image"] for m in report if m.get("image"))
    png = client.get(f"/media/{chart}")
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert png.content.startswith(b"\x89PNG")


def test_kesu_demo_starts_on_the_embedded_sqlite_default_and_prints_its_address(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KESU_")}
    kesu = Path(sys.executable).with_name("kesu")
    proc = subprocess.Popen(
        [str(kesu), "demo", "--port", "0", "--now", "2026-11-23T09:00"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        first, second = proc.stdout.readline(), proc.stdout.readline()
        assert "sqlite:///kesu.db" in first, first
        url = re.search(r"http://127\.0\.0\.1:\d+/", second)
        assert url, second
        page = httpx.get(url.group(0), timeout=30)
        assert page.status_code == 200 and "Kesu 客诉助手" in page.text
        state = httpx.get(url.group(0) + "api/state", timeout=30).json()
        assert state["now"] == "2026-11-23T09:00+08:00"
        assert (tmp_path / "kesu.db").exists()
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_a_photo_is_stored_shown_and_answered(demo_app: FastAPI) -> None:
    client = TestClient(demo_app, base_url=LOCAL)
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    entries = client.post("/api/photo", params={"user": "sales1"}, content=png).json()["entries"]
    mine = entries[0]
    assert mine["from"] == "sales1" and mine["conv"] == "user:sales1"
    shown = client.get(f"/media/{mine['message']['image']}")
    assert shown.status_code == 200 and shown.content == png
    assert any(e["from"] == "bot" and e["conv"] == "user:sales1" for e in entries[1:])


def test_a_rebound_host_name_or_a_post_from_another_site_is_refused_and_changes_nothing(demo_app: FastAPI) -> None:
    client = TestClient(demo_app, base_url=LOCAL)
    hello = {"user": "sales1", "text": "你好"}
    assert client.post("/api/say", json=hello, headers={"Host": "evil.example:8765"}).status_code == 400
    assert client.get("/api/state", headers={"Host": "evil.example:8765"}).status_code == 400
    refused = client.post("/api/say", json=hello, headers={"Origin": "http://evil.example"})
    assert refused.status_code == 403 and "来源" in refused.json()["detail"]
    assert client.post("/api/clock", json={"step": "1d"}, headers={"Sec-Fetch-Site": "cross-site"}).status_code == 403
    state = client.get("/api/state").json()
    assert state["log"] == [] and state["now"] == "2026-11-23T09:00+08:00"
    assert client.post("/api/say", json=hello, headers={"Origin": LOCAL}).status_code == 200
