"""core/nag.py: holding pushes in quiet hours and on days off, counting working hours, picking the stage."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from core.clocks import WeekdayCalendar
from core.nag import NagPolicy, Watch, WorkTime, add_working_hours, due_nudge, hold
from tests.fakes import make_org

TZ = ZoneInfo("Asia/Shanghai")
CAL = WeekdayCalendar()  # Monday to Friday
WORK = WorkTime()


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=TZ)  # 2026-11-23 is a Monday


def test_quiet_hours_and_days_off_hold_a_push_until_the_next_working_morning() -> None:
    assert hold(at(24, 21, 59), WORK, CAL, TZ) == at(24, 21, 59)
    assert hold(at(24, 22, 30), WORK, CAL, TZ) == at(25, 8)  # Tuesday night → Wednesday 08:00
    assert hold(at(25, 7, 0), WORK, CAL, TZ) == at(25, 8)  # early morning → the same morning
    assert hold(at(27, 23, 0), WORK, CAL, TZ) == at(30, 8)  # Friday night → Monday
    assert hold(at(28, 10, 0), WORK, CAL, TZ) == at(30, 8)  # Saturday daytime → Monday


def test_working_hours_skip_evenings_and_weekends() -> None:
    assert add_working_hours(at(23, 9), 4, WORK, CAL, TZ) == at(23, 13)
    assert add_working_hours(at(23, 16), 4, WORK, CAL, TZ) == at(24, 10)  # 2 h Monday + 2 h Tuesday
    assert add_working_hours(at(27, 17), 4, WORK, CAL, TZ) == at(30, 11)  # over the weekend
    assert add_working_hours(at(28, 12), 1, WORK, CAL, TZ) == at(30, 9)  # from a Saturday


def test_a_pass_sends_only_the_latest_stage_and_acknowledgement_stops_escalation() -> None:
    org = make_org()
    watch = Watch("f1:normal", "KS-1 处理", at(23, 9), at(25, 9), ("rd2",), "normal")
    policy = NagPolicy(fractions=(0.5,), days_before=0, repeat_hours=4, levels=("dept_head", "qa_manager"))

    def now(moment: datetime, w: Watch = watch) -> str | None:
        nudge = due_nudge(w, policy, org, calendar=CAL, tz=TZ, work=WORK, now=moment)
        return nudge.stage if nudge else None

    assert now(at(24, 8, 59)) is None
    assert now(at(24, 9, 0)) == "remind1"
    assert now(at(25, 9, 0)) == "due"
    assert now(at(25, 13, 0)) == "esc1"
    assert now(at(26, 12, 0)) == "esc3"  # a scheduler down for a day sends the latest stage only
    late = due_nudge(watch, policy, org, calendar=CAL, tz=TZ, work=WORK, now=at(25, 13, 0))
    assert late is not None and late.to == ("rd1", "rd2")  # rd2's department head, and rd2
    top = due_nudge(watch, policy, org, calendar=CAL, tz=TZ, work=WORK, now=at(25, 17, 0))
    assert top is not None and top.to == ("qa_mgr", "rd2")
    acknowledged = Watch("f1:normal", "KS-1 处理", at(23, 9), at(25, 9), ("rd2",), "normal", acknowledged=True)
    assert now(at(26, 12, 0), acknowledged) == "due"  # already sent: nothing new after acknowledgement
