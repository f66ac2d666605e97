"""Reading kesu.toml from disk: file, encoding and TOML syntax problems, then building it."""

from __future__ import annotations

import tomllib
from pathlib import Path

from bot.config.build import _build
from bot.config.demo import demo_config
from bot.config.messages import _syntax_problem
from bot.config.model import ConfigError, KesuConfig


def load_config(path: Path | None) -> KesuConfig:
    """The configuration in ``path`` (kesu.toml), or the built-in demo org when ``path`` is None."""
    if path is None:
        return demo_config()
    name = str(path)
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError([f"{name}: 配置文件不存在"]) from None
    except IsADirectoryError:
        raise ConfigError([f"{name}: 这是一个目录,不是配置文件"]) from None
    except OSError as exc:
        raise ConfigError([f"{name}: 无法读取配置文件({exc.strerror})"]) from None
    try:
        text = content.decode("utf-8-sig")  # tolerate the BOM Windows editors add
    except UnicodeDecodeError as exc:
        line = content[: exc.start].count(b"\n") + 1
        raise ConfigError([f"{name} 第 {line} 行: 文件必须是 UTF-8 编码"]) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([_syntax_problem(name, exc)]) from None
    return _build(data, source=name)
