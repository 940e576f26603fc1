"""Docs stay true: every command is in both user guides and the README's examples run."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def top_level_commands() -> list[str]:
    import typer.main

    from evidence_locker.cli.app import build_app

    group = typer.main.get_command(build_app())
    return sorted(group.commands)  # type: ignore[attr-defined]


@pytest.mark.parametrize("guide", ["user-guide.en.md", "user-guide.zh.md"])
def test_every_command_is_in_the_user_guide(guide: str) -> None:
    text = (DOCS / guide).read_text(encoding="utf-8")
    missing = [
        c
        for c in top_level_commands()
        if not re.search(rf"evidence-locker (--lang zh )?{re.escape(c)}\b", text)
    ]
    assert not missing, f"{guide} does not document: {missing}"


def test_readme_examples_name_real_commands_and_options() -> None:
    import typer.main

    from evidence_locker.cli.app import build_app

    group = typer.main.get_command(build_app())
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    lines = [ln for ln in re.findall(r"^(?:.*\| )?(evidence-locker .*?)(?:\s+#.*)?$", text, re.M)]
    assert lines
    for line in lines:
        line = line.split("&&")[0].rstrip("\\ ")
        words = [w for w in shlex.split(line)[1:]]
        cmd = group
        while words and hasattr(cmd, "commands") and words[0] in cmd.commands:  # type: ignore[attr-defined]
            cmd = cmd.commands[words.pop(0)]  # type: ignore[attr-defined]
        while words and words[0] == "--lang":
            words = words[2:]
            while words and hasattr(cmd, "commands") and words[0] in cmd.commands:  # type: ignore[attr-defined]
                cmd = cmd.commands[words.pop(0)]  # type: ignore[attr-defined]
        assert cmd is not group, f"README line names no command: {line}"
        known = {opt for p in cmd.params for opt in getattr(p, "opts", [])}
        for word in words:
            if word.startswith("--"):
                assert word.split("=")[0] in known, f"{word} is not an option of: {line}"


def test_threat_model_claims_point_at_existing_tests() -> None:
    text = (DOCS / "threat-model.md").read_text(encoding="utf-8")
    refs = re.findall(r"`(tests/[\w/]+\.py)(?:::(\w+))?`", text)
    assert refs
    for path, name in refs:
        source = (ROOT / path).read_text(encoding="utf-8")
        if name:
            assert f"def {name}(" in source, f"{path}::{name} does not exist"
