"""``evidence-locker ocr``: read the text of images already in the locker; and how every
command reports readings (under each stored file, and once how to add the engine)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

import typer

from evidence_locker.cli import render
from evidence_locker.cli.context import STATE

INSTALL_COMMAND = "pip install 'evidence-locker[ocr]'"


def print_readings(locker: Any, attachments: Sequence[Any]) -> None:
    """One line per image just stored: what was read, or why not; the install hint once."""
    for a in attachments:
        if a.ocr is None:
            continue
        if a.ocr.error:
            reason = STATE.t(a.ocr.error, name=a.name)
            STATE.err.print(STATE.t("ocr.read_failed", name=a.name, reason=reason), markup=False)
        else:
            STATE.console.print(
                STATE.t("ocr.read_done", name=a.name, lines=len(a.ocr.lines)), markup=False
            )
    reader = getattr(locker, "text_reader", None)
    if reader is not None and reader.unavailable is not None:
        STATE.err.print(STATE.t("ocr.install_below"), markup=False)
        # its own line, never wrapped inside: it is copied into a shell as it stands
        STATE.err.print(f"  {INSTALL_COMMAND}", markup=False, soft_wrap=True)


def print_read_text(attachment: Any, indent: str = "      ") -> None:
    """The read text under an image in ``show``, marked as machine-read."""
    reading = attachment.ocr
    if reading is None:
        return
    c = STATE.console
    if reading.error:
        c.print(f"{indent}{STATE.t('show.read_failed')}", style="dim", markup=False)
        return
    if not reading.lines:
        c.print(f"{indent}{STATE.t('show.read_empty')}", style="dim", markup=False)
        return
    c.print(f"{indent}{STATE.t('show.read_text', engine=reading.engine)}", style="dim")
    for note in reading.notes:
        c.print(f"{indent}{STATE.t(note)}", style="dim", markup=False)
    for line in reading.lines:
        c.print(f"{indent}│ {line.text}", markup=False)


def ocr_cmd(
    ids: Annotated[
        list[str] | None,
        typer.Argument(metavar="[ID...]", help="Records or attachments to read again."),
    ] = None,
    all_images: Annotated[
        bool, typer.Option("--all", help="Every image not read yet (resumes a stopped run).")
    ] = False,
    redo: Annotated[
        bool, typer.Option("--redo", help="With --all: read again images already read.")
    ] = False,
) -> None:
    """Read the text in image attachments (screenshots). / 识别图片附件中的文字。"""
    if not ids and not all_images:
        from evidence_locker.errors import UsageError

        raise UsageError("ocr.what")
    locker = STATE.open_locker()
    done = [0, 0]

    def progress(n: int, total: int) -> None:
        done[:] = [n, total]
        bar(n, total)

    try:
        with render.counted_progress(STATE, STATE.t("ocr.progress")) as bar:
            report = locker.read_texts(
                ids or (), redo=redo if all_images else None, progress=progress
            )
    except KeyboardInterrupt:
        STATE.err.print(STATE.t("ocr.interrupted", done=done[0], total=done[1]), markup=False)
        raise typer.Exit(130) from None
    for info, key in report.failed:
        reason = STATE.t(key, name=info.name)
        STATE.err.print(STATE.t("ocr.read_failed", name=info.name, reason=reason), markup=False)
    STATE.console.print(
        STATE.t(
            "ocr.run_done",
            read=report.read,
            skipped=report.skipped,
            failed=len(report.failed),
        )
    )


def register(app: typer.Typer) -> None:
    app.command("ocr")(ocr_cmd)
