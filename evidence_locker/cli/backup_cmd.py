"""Backup commands: backup (and backup --verify), restore (and restore --merge), doctor."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from evidence_locker.cli import render
from evidence_locker.cli.context import PASSPHRASE_ENV, RECOVERY_ENV, STATE, T

RecoveryOpt = Annotated[
    bool,
    typer.Option("--recovery", help="Unlock with the recovery key instead of the passphrase."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]


def _unlocked(recovery: bool, attempt: Callable[..., T]) -> T:
    """``attempt(passphrase=...)`` or ``attempt(recovery_key=...)``, with the secret
    from the environment (once) or typed at the prompt, with as many tries and the same
    words as unlocking the locker (``STATE.unlock``)."""
    if recovery:
        return STATE.unlock(
            "secret.recovery", env=RECOVERY_ENV, attempt=lambda s: attempt(recovery_key=s)
        )
    return STATE.unlock(
        "secret.passphrase", env=PASSPHRASE_ENV, attempt=lambda s: attempt(passphrase=s)
    )


def _size(n: int) -> str:
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"


def backup_cmd(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="Backup file to write (.elb).")],
    verify: Annotated[
        bool,
        typer.Option("--verify", help="Check an existing backup instead (needs only the file)."),
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file.")] = False,
    recovery: RecoveryOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """Write one encrypted file with everything, or check one. / 备份到一个加密文件，或校验备份。"""
    from evidence_locker.care import backup
    from evidence_locker.errors import IntegrityError

    if verify:
        info = _unlocked(recovery, lambda **secret: backup.verify_backup(file, **secret))
        if json_out:
            render.print_json(info.to_json())
        if not info.ok:
            what, params = info.problems[0]
            raise IntegrityError("backup.damaged", what=STATE.t(what, **params))
        if not json_out:
            STATE.console.print(
                STATE.t(
                    "backup.verified",
                    path=str(file),
                    created=info.created_at.astimezone(STATE.system_tz).isoformat(
                        timespec="seconds"
                    ),
                    entries=info.size,
                    blobs=info.blobs,
                    size=_size(info.blob_bytes),
                    root=info.root_hex,
                ),
                markup=False,
                soft_wrap=True,
            )
        return
    info = backup.create_backup(STATE.open_locker(), file, force=force)
    if json_out:
        render.print_json(info.to_json())
    else:
        STATE.console.print(
            STATE.t(
                "backup.done",
                path=str(file),
                entries=info.size,
                blobs=info.blobs,
                size=_size(info.file_bytes),
                size_head=info.size,
                root=info.root_hex,
            ),
            markup=False,
            soft_wrap=True,
        )
    if info.missing_blobs:
        STATE.err.print(
            STATE.t("backup.warn_missing", n=len(info.missing_blobs)), markup=False, soft_wrap=True
        )


def restore_cmd(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="Backup file (.elb).")],
    locker: Annotated[
        Path | None,
        typer.Option("--locker", help="New locker folder to restore into (must not exist)."),
    ] = None,
    merge: Annotated[
        bool,
        typer.Option("--merge", help="Add the backup's missing entries to the current locker."),
    ] = False,
    full_verify: Annotated[
        bool,
        typer.Option(
            "--full-verify",
            help="Also recompute every entry's hash before restoring (slower; refuses a "
            "backup of an already damaged locker).",
        ),
    ] = False,
    recovery: RecoveryOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """Restore a backup into a new locker, or merge it into this one. / 恢复或合并备份。"""
    from evidence_locker.care import backup
    from evidence_locker.errors import UsageError

    if merge:
        if locker is not None:
            raise UsageError("backup.merge_and_locker")
        result = backup.merge_backup(STATE.open_locker(), file)
        if json_out:
            render.print_json(
                {
                    "added": result.added,
                    "records": result.records,
                    "blobs_added": result.blobs_added,
                    "blobs_repaired": result.blobs_repaired,
                    "merge_entry": result.merge_entry,
                    "backup": result.backup.to_json(),
                }
            )
            return
        if result.added:
            STATE.console.print(
                STATE.t(
                    "backup.merged",
                    added=result.added,
                    records=result.records,
                    blobs=result.blobs_added,
                    id=(result.merge_entry or "")[:8],
                ),
                markup=False,
                soft_wrap=True,
            )
        else:
            STATE.console.print(STATE.t("backup.merge_nothing"), markup=False, soft_wrap=True)
        if result.blobs_repaired:
            STATE.console.print(
                STATE.t("backup.repaired", n=result.blobs_repaired), markup=False, soft_wrap=True
            )
        return
    target = locker.expanduser() if locker is not None else STATE.resolved_dir()
    info = _unlocked(
        recovery,
        lambda **secret: backup.restore_backup(file, target, full_verify=full_verify, **secret),
    )
    if json_out:
        render.print_json(info.to_json())
        return
    STATE.console.print(
        STATE.t(
            "backup.restored",
            path=str(target),
            entries=info.size,
            blobs=info.blobs,
            root=info.root_hex,
        ),
        markup=False,
        soft_wrap=True,
    )


def _render(params: dict[str, Any]) -> dict[str, Any]:
    out = dict(params)
    if "what" in out:
        out["what"] = STATE.t(str(out["what"]), **params)
    return out


def doctor_cmd(
    salvage: Annotated[
        Path | None,
        typer.Option(
            "--salvage",
            metavar="FILE.json",
            help="Also write every entry that still decrypts and verifies to this JSON file.",
        ),
    ] = None,
    quick: Annotated[
        bool, typer.Option("--quick", help="SQLite quick_check instead of the full check.")
    ] = False,
    recovery: RecoveryOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """Check database, ledger and every file; name what is damaged. / 体检：找出损坏之处。"""
    from evidence_locker.care.doctor import diagnose
    from evidence_locker.errors import LockerMissing
    from evidence_locker.locker import Locker

    directory = STATE.resolved_dir()
    if not directory.is_dir() or not Locker.exists(directory):
        raise LockerMissing(path=str(directory), hint="hint.init")
    report = _unlocked(
        recovery,
        lambda **secret: diagnose(
            directory, quick=quick, salvage_to=salvage, read_only=STATE.read_only, **secret
        ),
    )
    if json_out:
        render.print_json(report.to_json())
    else:
        marks = {
            "ok": STATE.t("doctor.mark_ok"),
            "damaged": STATE.t("doctor.mark_damaged"),
            "warning": STATE.t("doctor.mark_warning"),
        }
        for f in report.findings:
            line = f"[{marks[f.status]}] {STATE.t(f.key, **_render(f.params))}"
            STATE.console.print(line, markup=False, soft_wrap=True)
        if report.damaged:
            STATE.err.print(STATE.t("doctor.damaged"), markup=False, soft_wrap=True)
            STATE.err.print(
                f"{STATE.t('cli.hint')}: {STATE.t('doctor.hint_backup')}",
                markup=False,
                soft_wrap=True,
            )
    if report.damaged:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("backup")(backup_cmd)
    app.command("restore")(restore_cmd)
    app.command("doctor")(doctor_cmd)
