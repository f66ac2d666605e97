"""`kesu feishu …`: administration commands for the Feishu app."""

from __future__ import annotations

import typer

app = typer.Typer(help="Feishu (飞书) administration.", no_args_is_help=True)
