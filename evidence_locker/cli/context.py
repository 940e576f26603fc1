"""What every command shares: the global options, the unlocked locker, the output.

Commands get a :class:`State` with the language, timezone and locker location the
user chose, and call :meth:`State.open_locker` which asks for the passphrase only
when a command really needs the locker.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from evidence_locker.errors import UsageError
from evidence_locker.locale.messages import t

if TYPE_CHECKING:
    from rich.console import Console

    from evidence_locker.locker import Locker

PASSPHRASE_ENV = "EVIDENCE_LOCKER_PASSPHRASE"
NEW_PASSPHRASE_ENV = "EVIDENCE_LOCKER_NEW_PASSPHRASE"
RECOVERY_ENV = "EVIDENCE_LOCKER_RECOVERY_KEY"
DATABASE_URL_ENV = "EVIDENCE_LOCKER_DATABASE_URL"
# The shortest passphrase docs/user-guide recommends: the locker file can be copied and
# guessed at offline, and Argon2id only slows each guess down.
MIN_PASSPHRASE = 12
PROMPT_TRIES = 3
T = TypeVar("T")


def user_timezone(name: str | None = None) -> tzinfo:
    """``--tz``, else EVIDENCE_LOCKER_TZ, else TZ / the system's zone (tzlocal)."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    name = name or os.environ.get("EVIDENCE_LOCKER_TZ")
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise UsageError("tz.unknown", value=name) from None
    try:
        import tzlocal

        return tzlocal.get_localzone()
    except Exception:  # an odd system setting must not stop a user logging a contact
        return datetime.now().astimezone().tzinfo or UTC


@dataclass
class State:
    lang: str = "en"
    tz_name: str | None = None
    locker_dir: Path | None = None
    database_url: str | None = None
    debug: bool = False
    read_only: bool = False  # --read-only: never write to the locker
    _locker: Locker | None = None
    _tz: tzinfo | None = None
    _console: Console | None = None
    _err_console: Console | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def reset(self) -> None:
        """Forget everything from a previous run (tests call ``main`` many times)."""
        self.close()
        fresh = State()
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(fresh, name))

    def t(self, key: str, **params: object) -> str:
        return t(key, self.lang, **params)

    @property
    def tz(self) -> tzinfo:
        """The zone the times a user types and reads are on: ``--tz`` (or
        EVIDENCE_LOCKER_TZ), else the locker's ``config tz``, else the system's. A
        borrower in Beijing on a laptop set to UTC sets the locker's zone once, and
        "22:05" means 22:05 in Beijing from then on (issue 15)."""
        if self._tz is None:
            self._tz = user_timezone(self.explicit_tz or self.locker_zone())
        return self._tz

    def locker_zone(self) -> str | None:
        """The locker's ``tz`` setting (unlocking it, as the command will anyway), or
        None when there is no locker here yet."""
        from evidence_locker.locker import Locker

        if self.database_url is None and not Locker.exists(self.resolved_dir()):
            return None
        return self.open_locker().settings().get("tz")

    @property
    def system_tz(self) -> tzinfo:
        """The zone for commands that do not open the locker (``backup --verify``)."""
        return self._tz or user_timezone(self.explicit_tz)

    @property
    def explicit_tz(self) -> str | None:
        """The zone the user gave for this run (``--tz`` or EVIDENCE_LOCKER_TZ), if any:
        the rules prefer it to the locker's setting; the system zone comes last."""
        return self.tz_name or os.environ.get("EVIDENCE_LOCKER_TZ") or None

    def now(self) -> datetime:
        return datetime.now(self.tz)

    @property
    def console(self) -> Console:
        if self._console is None:
            from rich.console import Console

            self._console = Console(highlight=False)
        return self._console

    @property
    def err(self) -> Console:
        if self._err_console is None:
            from rich.console import Console

            self._err_console = Console(stderr=True, highlight=False)
        return self._err_console

    @property
    def interactive(self) -> bool:
        return sys.stdin.isatty()

    def resolved_dir(self) -> Path:
        from evidence_locker.locker import default_locker_dir

        return self.locker_dir or default_locker_dir()

    def ask_secret(self, key: str, *, env: str, confirm: bool = False) -> str:
        """A secret from the environment (scripts) or a hidden prompt (people)."""
        value = os.environ.get(env)
        if value is not None:
            return value
        if not self.interactive:
            raise UsageError("secret.no_tty", env=env)
        import getpass

        while True:
            first = getpass.getpass(self.t(key) + " ")
            if not confirm:
                return first
            if not first:
                self.err.print(self.t("init.empty_passphrase"))
                continue
            if len(first) < MIN_PASSPHRASE and not self._keep_short(len(first)):
                continue
            second = getpass.getpass(self.t("secret.repeat") + " ")
            if first == second:
                return first
            self.err.print(self.t("secret.mismatch"))

    def ask_new_passphrase(self, key: str, *, env: str) -> str:
        """A new passphrase, typed twice; a short one gets a warning (and, at a
        terminal, the chance to choose another)."""
        value = self.ask_secret(key, env=env, confirm=True)
        if env in os.environ and len(value) < MIN_PASSPHRASE:
            self.err.print(self.t("secret.short", n=len(value), min=MIN_PASSPHRASE), markup=False)
        return value

    def _keep_short(self, length: int) -> bool:
        import typer

        self.err.print(self.t("secret.short", n=length, min=MIN_PASSPHRASE), markup=False)
        return not typer.confirm(self.t("secret.choose_again"), default=True, err=True)

    def unlock(self, key: str, *, env: str, attempt: Callable[[str], T]) -> T:
        """``attempt(secret)`` with the secret from the environment (once) or typed at
        the prompt (up to three tries, as sudo and ssh allow): opening the locker, or a
        backup (backup --verify, restore, doctor)."""
        from evidence_locker.errors import WrongPassphrase

        tries = 1 if env in os.environ else PROMPT_TRIES
        for left in range(tries - 1, -1, -1):
            try:
                return attempt(self.ask_secret(key, env=env))
            except WrongPassphrase as exc:
                if not left:
                    raise
                self.err.print(self.t("secret.try_again", what=exc.render(self.lang), n=left))
        raise AssertionError("unreachable")

    def open_locker(self) -> Locker:
        if self._locker is None:
            from evidence_locker.errors import WrongPassphrase
            from evidence_locker.locker import Locker

            directory = self.resolved_dir()
            if self.database_url is None and not Locker.exists(directory):
                from evidence_locker.errors import LockerMissing

                raise LockerMissing(path=str(directory), hint="hint.init")
            try:
                self._locker = self.unlock(
                    "secret.passphrase",
                    env=PASSPHRASE_ENV,
                    attempt=lambda secret: Locker.open(
                        directory,
                        passphrase=secret,
                        database_url=self.database_url,
                        read_only=True if self.read_only else None,
                    ),
                )
            except WrongPassphrase as exc:
                if exc.hint_key is None:  # a forgotten passphrase: the recovery key opens it
                    exc.hint_key = "hint.wrong_passphrase"
                raise
            self.warn_if_behind(self._locker)
        return self._locker

    def warn_if_behind(self, locker: Locker) -> None:
        """Say at unlock that the locker is older than the newest head seen here."""
        behind = locker.heads.behind
        if behind is None:
            return
        kind = "rolled_back" if behind.status.value == "rolled_back" else "diverged"
        text = self.t(f"warning.{kind}", seen=behind.head.size, now=behind.ledger_size)
        self.err.print(text, markup=False, soft_wrap=True)

    def close(self) -> None:
        if self._locker is not None:
            self._locker.close()
            self._locker = None


STATE = State()
