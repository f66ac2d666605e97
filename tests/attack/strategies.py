"""Hypothesis settings and strategies for the fuzz runs: random query strings, headers and bodies (bytes, XML,
JSON), and well-formed envelopes around random content.

The runs are deterministic (``derandomize``: the same examples on every machine, so CI cannot flake) and bounded
(``KESU_FUZZ_EXAMPLES`` per endpoint, default 200); set it higher for a longer local hunt.
"""

from __future__ import annotations

import os
import string
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

FUZZ = settings(
    max_examples=int(os.environ.get("KESU_FUZZ_EXAMPLES", "200")),
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)

# Header values an HTTP client can send (printable ASCII; no CR/LF).
header_text = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=80)
token_text = st.text(alphabet=string.ascii_letters + string.digits + "-_", min_size=1, max_size=20)
CONTENT_TYPES = [
    None,
    "application/json",
    "application/json; charset=utf-8",
    "text/xml",
    "application/xml",
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/octet-stream",
    "text/html; charset=gbk",
]


def headers(*known: str) -> st.SearchStrategy[dict[str, str]]:
    """Random headers: the ``known`` names with random values, other names, and a random Content-Type."""
    names = st.sampled_from([*known, "X-Forwarded-For", "Accept", "User-Agent"]) | token_text.map(lambda s: "X-" + s)
    return st.tuples(
        st.dictionaries(names, header_text, max_size=5),
        st.sampled_from(CONTENT_TYPES),
    ).map(lambda t: {**t[0], **({"Content-Type": t[1]} if t[1] else {})})


def query(*known: str) -> st.SearchStrategy[dict[str, str]]:
    """Random query parameters: the ``known`` names (often present) and others, with any text as values."""
    value = st.text(max_size=60) | st.integers(-(10**12), 10**12).map(str)
    return st.dictionaries(st.sampled_from(known) | token_text, value, max_size=6)


json_values: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)


def xml_text(tags: list[str]) -> st.SearchStrategy[str]:
    """Random XML-ish text: nested elements named from ``tags`` (or at random), with random text, sometimes
    broken (unclosed, stray ``<``, entities, CDATA)."""
    name = st.sampled_from(tags) | st.from_regex(r"[A-Za-z_][A-Za-z0-9_.-]{0,8}", fullmatch=True)
    text = st.text(max_size=30).map(lambda s: s.replace("]]>", ""))
    leaf = st.one_of(
        text.map(lambda s: s.replace("&", "&amp;").replace("<", "&lt;")),
        text.map(lambda s: f"<![CDATA[{s}]]>"),
        st.sampled_from(["&lt;", "&amp;", "&#x41;", "&#0;", "&undefined;", "<", "]]>", "<!-- c -->", "<?pi x?>"]),
    )

    def element(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.tuples(name, st.lists(children, max_size=4)).map(lambda t: f"<{t[0]}>{''.join(t[1])}</{t[0]}>")

    body = st.recursive(leaf, element, max_leaves=12)
    prolog = st.sampled_from(["", '<?xml version="1.0"?>', '<?xml version="1.0" encoding="UTF-8"?>'])
    return st.tuples(prolog, name, st.lists(body, max_size=6)).map(lambda t: f"{t[0]}<{t[1]}>{''.join(t[2])}</{t[1]}>")
