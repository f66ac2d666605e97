"""Customers and products named in chat: exact names and aliases first, then fuzzy (typos), codes without dashes."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz

from core.org import Org


@dataclass(frozen=True)
class Match:
    """A catalogue entry found in text: its canonical value and where it was written."""

    value: str
    start: int
    end: int


def _code_pattern(code: str) -> str:
    """FX-90 also matches fx90, FX 90 and FX_90: separators between letters and digits are optional."""
    parts = re.findall(r"[A-Za-z]+|\d+", code)
    return r"[-_ ]?".join(re.escape(p) for p in parts)


class Catalog:
    """What the factory knows: customer names with aliases, product codes with aliases."""

    FUZZY_CUTOFF = 75.0

    def __init__(self, org: Org, *, extra_customers: tuple[str, ...] = ()) -> None:
        names: list[tuple[str, str]] = []
        for c in org.customers:
            names += [(n, c.name) for n in (c.name, *c.aliases) if n]
        names += [(n, n) for n in extra_customers if n]
        self._customers = sorted(names, key=lambda x: len(x[0]), reverse=True)
        self._fuzzy = [(n, canon) for n, canon in self._customers if len(n) >= 3 and not n.isascii()]
        patterns: list[tuple[re.Pattern[str], str]] = []
        for p in org.products:
            # The product's noun (风扇 in "FX-90 风扇") may follow any written form of its code.
            noun = p.name.replace(p.code, "").strip()
            tail = rf"(?:\s*{re.escape(noun)})?" if noun else ""
            for alias in sorted((p.code, *p.aliases), key=len, reverse=True):
                m = re.fullmatch(r"([A-Za-z0-9 _-]*[0-9][A-Za-z0-9 _-]*?)\s*([^A-Za-z0-9 _-].*)?", alias)
                end = r"(?![A-Za-z0-9])"
                if m and m.group(2):  # "FX-90风扇", "M3螺丝": a code-like head, then words
                    body = _code_pattern(m.group(1)) + end + r"\s*" + re.escape(m.group(2))
                elif m:
                    body = _code_pattern(alias) + end + tail
                else:
                    body = re.escape(alias)
                patterns.append((re.compile(rf"(?<![A-Za-z0-9]){body}", re.IGNORECASE), p.code))
        self._products = patterns

    def customer(self, text: str) -> Match | None:
        """The first catalogue customer named in ``text`` (longest name wins), else a close typo."""
        lowered = text.lower()
        best: Match | None = None
        for name, canon in self._customers:
            i = lowered.find(name.lower())
            if i >= 0 and (best is None or i < best.start):
                end = i + len(name)
                # 明辉电孑: the alias 明辉 matched; the typo'd rest of the full name belongs to it too.
                if canon.startswith(name) and canon != name:
                    window = text[i : i + len(canon)]
                    if len(window) == len(canon) and fuzz.ratio(window, canon) >= self.FUZZY_CUTOFF:
                        end = i + len(canon)
                best = Match(canon, i, end)
        if best:
            return best
        for name, canon in self._fuzzy:
            # One character off: 格力电气 → 格力电器, 欧非光 → 欧菲光 (never for two-character names).
            cutoff = self.FUZZY_CUTOFF if len(name) >= 4 else 66.0
            found = fuzz.partial_ratio_alignment(name, text, score_cutoff=cutoff)
            if (
                found is not None
                and found.dest_end - found.dest_start == len(name)
                and text[found.dest_start] == name[0]  # 力达电器 is not 顺达电器: a typo keeps the first character
            ):
                return Match(canon, found.dest_start, found.dest_end)
        return None

    def product(self, text: str) -> Match | None:
        """The catalogue product named in ``text`` (code or alias), earliest and longest first."""
        best: Match | None = None
        for pattern, code in self._products:
            m = pattern.search(text)
            if m and (best is None or m.start() < best.start or (m.start() == best.start and m.end() > best.end)):
                best = Match(code, m.start(), m.end())
        return best
