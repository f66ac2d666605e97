"""Record kinds as their ids name them, declared once: each kind's prefix, its card id and its watch key.

A card id is sent to the platforms and comes back with every tap; a watch key (one running clock of a record)
is stored with acknowledgements and outbox keys. Both stay byte-for-byte what they have always been: the
prefix, the record's id, then for a card one number after each of the kind's letters (``f12v3``: complaint 12
at version 3), for a watch key ``:`` and the clock (``f12:normal``). A reminder card carries the watch key it is
about (``nf12-normal``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from core.limits import record_number, record_numbers


@dataclass(frozen=True, eq=False)
class Kind:
    """A kind of record and the grammar of its ids: ``prefix``, then the record id, then one number after each
    letter of ``letters`` (``"v"``: f12v3; ``"qs"``: v1q0s2)."""

    name: str
    prefix: str
    letters: str
    pattern: re.Pattern[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        numbers = "".join(f"{re.escape(letter)}(\\d+)" for letter in self.letters)
        object.__setattr__(self, "pattern", re.compile(f"^{re.escape(self.prefix)}(\\d+){numbers}$"))

    def card_id(self, record_id: int | None, *numbers: int) -> str:
        """The id of a card about record ``record_id``: a tap on it is valid only while ``numbers`` (its version,
        step or stage; a question's index …) still hold."""
        if len(numbers) != len(self.letters):
            raise ValueError(f"a {self.name} card id takes {len(self.letters)} numbers after the id")
        return f"{self.prefix}{record_id}" + "".join(f"{a}{n}" for a, n in zip(self.letters, numbers, strict=True))

    def parse_card_id(self, value: str) -> tuple[int, ...] | None:
        """(record id, the numbers after it) from a card id of this kind, or None when it is not one."""
        return record_numbers(self.pattern, value)

    def watch_key(self, record_id: int | None, clock: str) -> str:
        """The key of one running clock of a record (``f12:normal``, ``a3:s1``, ``v2:q1``)."""
        return f"{self.prefix}{record_id}:{clock}"


@dataclass(frozen=True, eq=False)
class ReminderKind:
    """Reminder cards: ``prefix`` + the watch key they are about, its first ``:`` written ``-`` (button keys use
    ``:``): ``f12:normal`` → ``nf12-normal``."""

    name: str
    prefix: str

    def card_id(self, watch_key: str) -> str:
        """The id of the reminder card about ``watch_key``."""
        return self.prefix + watch_key.replace(":", "-", 1)

    def parse_card_id(self, value: str) -> str | None:
        """The watch key back from a card id; None when it is not a reminder card."""
        if not value.startswith(self.prefix) or "-" not in value:
            return None
        return value[len(self.prefix) :].replace("-", ":", 1)


COMPLAINT = Kind("complaint", "f", "v")  # f<id>v<version>
APPROVAL = Kind("approval", "a", "s")  # a<id>s<step>
RETURN = Kind("return", "r", "s")  # r<id>s<stage>
ORDER = Kind("order", "o", "v")  # o<id>v<version>
EIGHTD = Kind("8d", "e", "s")  # e<id>s<disciplines written>
ANALYSIS = Kind("analysis", "ra", "v")  # ra<id>v<version>
VISIT = Kind("visit", "v", "qs")  # v<id>q<question>s<version>
CAMPAIGN = Kind("campaign", "sv", "cs")  # sv<id>c<survey>s<version>
CUSTOMER = Kind("customer", "cust", "v")  # cust<id>v<version>
REMINDER = ReminderKind("reminder", "n")  # n<watch key, first ":" as "-">

KINDS: tuple[Kind, ...] = (COMPLAINT, APPROVAL, RETURN, ORDER, EIGHTD, ANALYSIS, VISIT, CAMPAIGN, CUSTOMER)

_WATCH_KEY = re.compile(r"^([a-z]+)(\d+):")


def watched(key: str) -> tuple[Kind, int] | None:
    """The kind and id of the record a watch key names (``ra1:report`` → analysis 1), or None."""
    m = _WATCH_KEY.match(key)
    number = record_number(m.group(2)) if m else None
    kind = next((k for k in KINDS if m and k.prefix == m.group(1)), None)
    return None if kind is None or number is None else (kind, number)
