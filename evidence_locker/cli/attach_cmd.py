"""Attachment commands: attach, attachments, extract."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from evidence_locker.cli import render
from evidence_locker.cli.context import STATE


def attach_cmd(
    record_id: Annotated[str, typer.Argument(metavar="ID", help="Record id (or a prefix).")],
    files: Annotated[list[Path], typer.Argument(metavar="FILE...", help="Files to attach.")],
    caption: Annotated[str | None, typer.Option("--caption", help="What the file shows.")] = None,
) -> None:
    """Attach files (screenshot, recording, letter scan) to a record. / 为记录添加附件。"""
    from evidence_locker.cli.ocr_cmd import print_readings

    locker = STATE.open_locker()
    stored = []
    for path in files:
        info = locker.attach(record_id, path, caption=caption)
        stored.append(info)
        STATE.console.print(
            STATE.t("attach.done", name=info.name, size=info.size, sha=info.sha256[:16]),
            markup=False,
        )
    print_readings(locker, stored)


def attachments_cmd(
    record_id: Annotated[str, typer.Argument(metavar="ID")],
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """List a record's files: name, type, size, SHA-256, caption. / 列出附件。"""
    infos = STATE.open_locker().get(record_id).attachments
    if json_out:
        render.print_json([a.to_json() for a in infos])
        return
    if not infos:
        STATE.err.print(STATE.t("attach.none", id=record_id))
        return
    from rich.table import Table

    table = Table(header_style="bold")
    for key in ("col.id", "col.file", "col.type", "col.size", "col.sha256", "col.caption"):
        table.add_column(STATE.t(key), overflow="fold")
    for a in infos:
        table.add_row(a.id[:8], a.name, a.mime or "", str(a.size), a.sha256, a.caption or "")
    STATE.console.print(table)


def extract_cmd(
    record_id: Annotated[str, typer.Argument(metavar="ID", help="Record or attachment id.")],
    to: Annotated[Path, typer.Option("--to", help="Folder to write into.")] = Path("."),
    force: Annotated[bool, typer.Option("--force", help="Overwrite existing files.")] = False,
) -> None:
    """Decrypt a record's files back out, byte-identical. / 导出附件原件。"""
    for path in STATE.open_locker().extract(record_id, to, force=force):
        STATE.console.print(STATE.t("extract.done", path=str(path)), markup=False)


def register(app: typer.Typer) -> None:
    app.command("attach")(attach_cmd)
    app.command("attachments")(attachments_cmd)
    app.command("extract")(extract_cmd)
