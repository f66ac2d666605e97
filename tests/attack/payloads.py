"""Hostile XML and oversized bodies, shared by the WeCom and Feishu attacks."""

from __future__ import annotations

from collections.abc import Iterator

MIB = 1024 * 1024
TEN_MIB = 10 * MIB


def _wrap(doctype: str, field: str) -> str:
    """A WeCom-shaped document whose ``field`` element holds ``&x;`` or plain text, after ``doctype``."""
    return (
        f'<?xml version="1.0"?>{doctype}<xml><ToUserName>wwkesu0001</ToUserName>'
        f"<FromUserName>sales1</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType>"
        f"<{field}>{'&x;' if '<!ENTITY x' in doctype else 'hi'}</{field}><MsgId>1</MsgId></xml>"
    )


def hostile_xml(field: str) -> dict[str, str]:
    """Entity and DTD attacks, each carried by ``field`` (``Encrypt`` outside, ``Content`` inside)."""
    laughs = '<!ENTITY l0 "lol">' + "".join(f'<!ENTITY l{i} "{("&l" + str(i - 1) + ";") * 10}">' for i in range(1, 10))
    return {
        "billion_laughs": _wrap(f'<!DOCTYPE xml [{laughs}<!ENTITY x "&l9;">]>', field),
        "quadratic_blowup": _wrap(f'<!DOCTYPE xml [<!ENTITY x "{"A" * 50_000}">]>', field).replace(
            "&x;", "&x;" * 2_000
        ),
        "external_entity_file": _wrap('<!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]>', field),
        "external_entity_http": _wrap('<!DOCTYPE xml [<!ENTITY x SYSTEM "http://127.0.0.1:9/evil">]>', field),
        "parameter_entity": _wrap(
            '<!DOCTYPE xml [<!ENTITY % p SYSTEM "http://127.0.0.1:9/evil.dtd"> %p;<!ENTITY x "y">]>', field
        ),
        "external_dtd": _wrap('<!DOCTYPE xml SYSTEM "http://127.0.0.1:9/evil.dtd">', field),
        "internal_dtd_only": _wrap("<!DOCTYPE xml [<!ELEMENT xml ANY>]>", field),
    }


def chunks(total: int, size: int = 64 * 1024) -> Iterator[bytes]:
    """A body sent in chunks (no Content-Length): the server must stop reading at its limit."""
    sent = 0
    while sent < total:
        n = min(size, total - sent)
        sent += n
        yield b"a" * n
