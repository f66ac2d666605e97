"""Loading and validating kesu.toml (organisation, clocks, calendar) and the environment settings.

The package's seams: settings (environment), model (KesuConfig), schema (the TOML tables), messages
(problems in Chinese), checks (cross-checks and warnings), build (data to KesuConfig), demo, load.
"""

from __future__ import annotations

from bot.config.build import _build
from bot.config.checks import calendar_warnings, check_config
from bot.config.demo import _DEMO, DEMO_SOURCE, demo_config
from bot.config.load import load_config
from bot.config.model import ConfigError, KesuConfig
from bot.config.settings import Settings

__all__ = [
    "DEMO_SOURCE",
    "_DEMO",
    "ConfigError",
    "KesuConfig",
    "Settings",
    "_build",
    "calendar_warnings",
    "check_config",
    "demo_config",
    "load_config",
]
