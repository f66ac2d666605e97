"""The parser-level fixes the attacks led to, shown where they live: both adapters' pure parse functions."""

from __future__ import annotations

import json
import time

import pytest
from lark_oapi.core.utils.decryptor import AESCipher

from bot.feishu import parse as feishu
from bot.wecom import parse as wecom
from tests.feishu import fake as f

KEYS = feishu.Keys(encrypt_key=f.ENCRYPT_KEY, verification_token=f.VERIFICATION_TOKEN, app_id=f.APP_ID)


def _open(body: bytes, headers: dict[str, str]) -> dict[str, object]:
    return feishu.open_envelope(body, headers, keys=KEYS, now=time.time(), decrypt=AESCipher(f.ENCRYPT_KEY).decrypt_str)


def _refused(body: bytes, headers: dict[str, str]) -> int:
    with pytest.raises(feishu.Rejected) as refused:
        _open(body, headers)
    return refused.value.status


def test_feishu_json_nested_past_the_interpreters_depth_is_malformed_not_a_crash() -> None:
    body = b"[" * 100_000 + b"]" * 100_000
    _, headers = f.signed({}, body=body)
    assert _refused(body, headers) == 400


def test_feishu_a_timestamp_of_nan_is_not_fresh() -> None:
    body, headers = f.signed(f.message_event("ou_sales1", text="x"))
    headers["X-Lark-Request-Timestamp"] = "nan"  # float("nan") parses, and every comparison with nan is False
    assert _refused(body, headers) in (400, 401)


def test_feishu_an_event_naming_another_app_is_refused() -> None:
    payload = f.message_event("ou_sales1", text="x")
    payload["header"]["app_id"] = "cli_other"
    assert _refused(*f.signed(payload)) == 403


def test_feishu_an_event_without_an_app_id_is_still_read() -> None:
    payload = f.message_event("ou_sales1", text="x")
    del payload["header"]["app_id"]
    assert _open(*f.signed(payload)) == json.loads(json.dumps(payload))


def test_wecom_a_create_time_in_other_digits_is_no_time_not_a_crash() -> None:
    xml = "<xml><FromUserName>u1</FromUserName><CreateTime>²</CreateTime><MsgType>text</MsgType></xml>"
    assert wecom.message(xml).created == 0  # "²".isdigit() is True, int("²") raises


def test_wecom_a_tap_key_longer_than_the_inbox_column_is_hashed_and_stays_distinct() -> None:
    def tap(key: str) -> str:
        return (
            "<xml><FromUserName>u1</FromUserName><CreateTime>1</CreateTime><MsgType>event</MsgType>"
            f"<Event>template_card_event</Event><EventKey>{key}</EventKey><TaskId>{'t' * 128}</TaskId></xml>"
        )

    long_a, long_b = wecom.message(tap("f1v1|confirm|" + "a" * 1000)), wecom.message(tap("f1v1|confirm|" + "b" * 1000))
    assert len(long_a.key) <= wecom.MAX_KEY and long_a.key != long_b.key
    assert long_a.event_key == "f1v1|confirm|" + "a" * 1000  # the tap itself is untouched
    short = wecom.message(tap("f1v1|confirm|"))
    assert short.key == "u11" + "t" * 128 + "f1v1|confirm|"  # short keys are kept as they were
