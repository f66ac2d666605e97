"""Two approvers tapping the same step at the same moment: exactly one decision, one audit entry."""

from __future__ import annotations

import dataclasses
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.cards.approval import card_id
from bot.config import Settings
from bot.local.parse import click_event
from bot.wiring import build
from core import approval as a
from core import return_flow

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
TRIALS = 100


def _two_person_step() -> tuple[a.Step, ...]:
    either = (a.Approver(a.ApproverKind.PERSON, "cs_mgr"), a.Approver(a.ApproverKind.PERSON, "vp"))
    return (a.Step("客服经理或副总", either, quorum=1),)


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)  # emptied first: RMA numbers start at 0001
def test_two_approvers_tapping_at_once_give_exactly_one_decision_each_time(db_url: str) -> None:
    kesu = build(Settings(database_url=db_url, config=None), migrate=False)
    kesu.dispatcher.policy = dataclasses.replace(kesu.dispatcher.policy, chains={"return": _two_person_step()})
    try:
        for trial in range(TRIALS):
            with kesu.uow() as uow:
                ret, approval = return_flow.request(
                    uow,
                    org=kesu.config.org,
                    policy=kesu.dispatcher.policy,
                    person_id="sales1",
                    now=NOW,
                    customer="明辉电子",
                    product="X200",
                    quantity=trial + 1,
                )
                uow.commit()
            barrier = threading.Barrier(2)

            def tap(
                user: str, approval: a.Approval = approval, trial: int = trial, barrier: threading.Barrier = barrier
            ) -> tuple[bool, str | None]:
                event = click_event(
                    user=user,
                    card_id=card_id(approval),
                    action="approve",
                    values={},
                    now=NOW,
                    key=f"race-{trial}-{user}",
                )
                event_id = kesu.dispatcher.ingest(event, now=NOW)
                assert event_id is not None
                barrier.wait(timeout=30)
                outcome = kesu.dispatcher.process(event_id, now=NOW)
                return outcome.ok, outcome.text

            with ThreadPoolExecutor(max_workers=2) as pool:
                results = list(pool.map(tap, ["cs_mgr", "vp"]))
            assert sorted(ok for ok, _ in results) == [False, True], results
            loser = next(text for ok, text in results if not ok)
            assert loser is not None and "已失效" in loser and "批准" in loser
            with kesu.uow() as uow:
                assert approval.id is not None and ret.id is not None
                stored = uow.approvals.get(approval.id)
                assert stored is not None and stored.state is a.ApprovalState.APPROVED and len(stored.votes) == 1
                decisions = [e for e in uow.audit.history("approval", str(approval.id)) if e.action == "approve"]
                assert len(decisions) == 1
                issued = uow.returns.get(ret.id)
                assert issued is not None and issued.rma_no == f"RMA-202611-{trial + 1:04d}"
    finally:
        kesu.close()
