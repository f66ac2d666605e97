"""`kesu wecom …`: administration commands for the WeCom app."""

from __future__ import annotations

import typer

app = typer.Typer(help="WeCom (企业微信) administration.", no_args_is_help=True)
