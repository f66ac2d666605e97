"""Problems in kesu.toml as Chinese sentences at the TOML key path the user wrote."""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Sequence
from typing import Any

from pydantic_core import ErrorDetails

from bot.config.schema import _TABLES, _ClockEntry, _one_of
from core.clocks import ClockName

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _key_path(loc: Sequence[int | str]) -> str:
    """A pydantic location as the user wrote it in TOML: ``people[2].manager``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
            continue
        key = part if _BARE_KEY.fullmatch(part) else '"' + part.replace("\\", "\\\\").replace('"', '\\"') + '"'
        out += f".{key}" if out else key
    return out or "(整个文件)"


def _unknown_key(loc: Sequence[int | str]) -> str:
    key = str(loc[-1])
    parent = tuple(p for p in loc[:-1] if isinstance(p, str))
    if parent == ("clocks",):
        return f"未知的时钟,{_one_of([n.value for n in ClockName])}"
    model = _ClockEntry if len(parent) == 2 and parent[0] == "clocks" else _TABLES.get(parent)
    if model is not None:
        close = difflib.get_close_matches(key, list(model.model_fields), n=1)
        if close:
            return f'未知的配置项(是否应为 "{close[0]}"?)'
    return "未知的配置项"


def _describe(err: ErrorDetails) -> str:
    """One pydantic error as a Chinese sentence (no pydantic boilerplate)."""
    kind = err["type"]
    ctx: dict[str, Any] = dict(err.get("ctx") or {})
    loc = err["loc"]
    if kind == "missing":
        return "缺少必填项"
    if kind == "extra_forbidden":
        return _unknown_key(loc)
    if kind == "enum":
        options = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        if "roles" in loc:
            return f'未知的角色 "{err["input"]}",{_one_of(options)}'
        return _one_of(options)
    if kind == "value_error" and "error" in ctx:
        return str(ctx["error"])
    if kind == "string_type":
        return "必须是字符串(用双引号括起来)"
    if kind == "string_too_short":
        return "不能为空"
    if kind == "too_short":
        return "至少需要填写一项"
    if kind == "list_type":
        return "必须是数组"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return "必须是表(table)"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return "必须是整数"
    if kind == "greater_than":
        return f"必须大于 {ctx.get('gt')}"
    if kind == "greater_than_equal":
        return f"不能小于 {ctx.get('ge')}"
    if kind == "less_than_equal":
        return f"不能大于 {ctx.get('le')}"
    return f"取值无效({err['msg']})"


_TOML_POSITION = re.compile(r"\s*\(at (?:line (\d+), column (\d+)|end of document)\)$")
_TOML_MESSAGES = {
    "Invalid statement": "无法识别的语句",
    "Invalid value": "无效的值(字符串需要用双引号括起来)",
    "Invalid date or datetime": "无效的日期或时间",
    "Cannot overwrite a value": "同一个键被重复赋值",
    "Expected '=' after a key in a key/value pair": '键后面缺少 "="',
    "Expected newline or end of document after a statement": "一行只能写一个键值对",
    "Unclosed array": "数组缺少结尾的 ]",
    "Unclosed inline table": "内联表缺少结尾的 }",
    "Unterminated string": "字符串缺少结尾的引号",
    "Illegal character '\\n'": "字符串缺少结尾的引号",
}


def _syntax_problem(name: str, err: tomllib.TOMLDecodeError) -> str:
    text = str(err)
    match = _TOML_POSITION.search(text)
    detail = _TOML_POSITION.sub("", text)
    detail = _TOML_MESSAGES.get(detail, detail)
    if match and match[1]:
        return f"{name} 第 {match[1]} 行: TOML 语法错误,{detail}(第 {match[2]} 列)"
    return f"{name}: TOML 语法错误,{detail}"
