"""The README's commands are the ones CI runs."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_ci_runs_the_readme_test_command_exactly() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    command = next(line for line in ci.splitlines() if line.startswith("python3 -m venv .venv"))
    assert f"\n{command}\n" in readme


def test_every_cli_command_is_documented_in_the_readme() -> None:
    from bot.main import app

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    names = [c.name or getattr(c.callback, "__name__", "") for c in app.registered_commands]
    names += [g.name or "" for g in app.registered_groups]
    assert len(names) == 15
    for name in names:
        assert f"kesu {name}" in readme, name
