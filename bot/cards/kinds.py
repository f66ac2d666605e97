"""Every kind of card, declared once: the ids it carries (``core.kinds``: prefix, format, parse) and the functions
that build it. Each tap handler registers against its kind (``ActionRouter.card`` in bot/actions), and a tap
finds its kind by the card id's prefix; adding a kind of card is one entry here (and its grammar in core.kinds).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from bot.cards import analysis, approval, campaign, complaint, customers, eightd, nag, orders, returns, visits
from bot.protocol import Card
from core import kinds

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


class Ids(Protocol[T_co]):
    """The grammar of a kind's card ids (``core.kinds.Kind``, ``core.kinds.ReminderKind``)."""

    @property
    def name(self) -> str: ...

    @property
    def prefix(self) -> str: ...

    def parse_card_id(self, value: str) -> T_co | None: ...


@dataclass(frozen=True, eq=False)
class CardKind(Generic[T]):
    """One kind of card: its ids, its builders, and whether it has buttons (then one handler takes its taps)."""

    ids: Ids[T]
    builders: tuple[Callable[..., Card], ...]
    tappable: bool = True

    @property
    def name(self) -> str:
        """The kind's name (``complaint``, ``reminder`` …)."""
        return self.ids.name

    @property
    def prefix(self) -> str:
        """What every card id of this kind starts with."""
        return self.ids.prefix

    def parse(self, card_id: str) -> T | None:
        """What a card id of this kind carries (record id and version, step or stage …); None when it is not one."""
        return self.ids.parse_card_id(card_id)


COMPLAINT = CardKind(kinds.COMPLAINT, (complaint.action_card, complaint.status_card))
APPROVAL = CardKind(kinds.APPROVAL, (approval.approval_card, approval.outcome_card))
RETURN = CardKind(
    kinds.RETURN, (returns.receive_card, returns.process_card, returns.replacement_card, returns.status_card)
)
ORDER = CardKind(kinds.ORDER, (orders.order_card, orders.notice_card, orders.change_card))
EIGHTD = CardKind(kinds.EIGHTD, (eightd.card,))
ANALYSIS = CardKind(kinds.ANALYSIS, (analysis.card,))
VISIT = CardKind(kinds.VISIT, (visits.question_card,))
CAMPAIGN = CardKind(kinds.CAMPAIGN, (campaign.survey_card,))
CUSTOMER = CardKind(kinds.CUSTOMER, (customers.customer_card,), tappable=False)  # a view: no buttons
REMINDER = CardKind(kinds.REMINDER, (nag.nudge_card,))

CARDS: tuple[CardKind[Any], ...] = (
    COMPLAINT,
    APPROVAL,
    RETURN,
    ORDER,
    EIGHTD,
    ANALYSIS,
    VISIT,
    CAMPAIGN,
    CUSTOMER,
    REMINDER,
)
