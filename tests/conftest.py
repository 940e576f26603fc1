"""Shared fixtures: a real locker on disk, and the CLI run in-process."""

from __future__ import annotations

import io
import json
import os
import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from evidence_locker.locker import Locker
from tests.kdf_memo import argon2id_remembered as remembered_kdf

PASSPHRASE = "correct horse 电池 staple"
SHANGHAI = timezone(timedelta(hours=8))
SHARED = Path(__file__).resolve().parents[2] / "shared"


class FakeClock:
    """An injectable clock: tests decide what 'now' is when a record is logged."""

    def __init__(self, start: datetime | None = None):
        self.now = start or datetime(2025, 3, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@pytest.fixture(scope="session", autouse=True)
def argon2id_remembered() -> Iterator[None]:
    """Derive each (passphrase, salt, cost) once per test session, in this process
    (tests/kdf_memo.py says why that changes no outcome): a CLI test opens its locker
    with the same passphrase once per command; subprocess tests (the installed entry
    point) pay the full cost each time."""
    with remembered_kdf():
        yield


@pytest.fixture(autouse=True)
def state_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test's own state directory (the newest head remembered outside a locker,
    locker/newest_head.py), never the user's; subprocesses inherit it."""
    path = tmp_path_factory.mktemp("state")
    monkeypatch.setenv("EVIDENCE_LOCKER_STATE_DIR", str(path))
    return path


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def machine_tz(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], None]]:
    """Set this process's zone (TZ) for one test, as a machine set to that zone has it,
    and put it back afterwards."""
    import time

    def set_zone(name: str) -> None:
        monkeypatch.setenv("TZ", name)
        time.tzset()

    yield set_zone
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def locker_dir(tmp_path: Path) -> Path:
    return tmp_path / "locker"


@dataclass
class TemplateLocker:
    """A locker made once per session by ``Locker.create`` (real Argon2id, fresh keys),
    with the FakeClock it was made with, for ``created`` to copy."""

    path: Path
    recovery: str
    clock_after: datetime


@pytest.fixture(scope="session")
def template_locker(tmp_path_factory: pytest.TempPathFactory) -> TemplateLocker:
    work = tmp_path_factory.mktemp("template")
    clock = FakeClock()
    with pytest.MonkeyPatch.context() as m:
        m.setenv("EVIDENCE_LOCKER_STATE_DIR", str(work / "state"))
        locker, recovery = Locker.create(work / "locker", PASSPHRASE, clock=clock)
        locker.close()
    return TemplateLocker(work / "locker", recovery, clock.now)


@pytest.fixture
def created(
    locker_dir: Path, clock: FakeClock, template_locker: TemplateLocker
) -> Iterator[tuple[Locker, str]]:
    """A new locker in ``locker_dir``, as ``Locker.create`` leaves it. A copy of the
    session's template locker, opened with the passphrase: creating one costs an
    Argon2id derivation with a fresh salt (0.3-0.5 s), and 200+ tests start here.
    Creating itself, and keys of their own, are tested where a test calls
    ``Locker.create`` or ``init``; a test with a clock of its own gets a real one."""
    if clock.now != FakeClock().now or locker_dir.exists():
        locker, recovery = Locker.create(locker_dir, PASSPHRASE, clock=clock)
    else:
        shutil.copytree(template_locker.path, locker_dir)
        locker = Locker.open(locker_dir, passphrase=PASSPHRASE, clock=clock)
        # as create leaves it: its head remembered, "wrote", and a pooled SQLAlchemy
        # connection (the schema's)
        _remember_head(locker)
        locker._session.wrote = True
        locker.engine.connect().close()
        clock.now = template_locker.clock_after  # the clock as create would have left it
        recovery = template_locker.recovery
    yield locker, recovery
    locker.close()


@pytest.fixture
def locker(created: tuple[Locker, str]) -> Locker:
    return created[0]


@dataclass
class CliResult:
    code: int
    out: str
    err: str


def _cli_env(m: pytest.MonkeyPatch, locker_dir: Path) -> None:
    """The environment of a script running the CLI: this locker, no terminal, English."""
    m.setenv("EVIDENCE_LOCKER_DIR", str(locker_dir))
    m.setenv("EVIDENCE_LOCKER_PASSPHRASE", PASSPHRASE)
    m.setenv("EVIDENCE_LOCKER_TZ", "Asia/Shanghai")
    m.setenv("LANG", "en_US.UTF-8")
    m.setenv("COLUMNS", "200")
    for var in ("EVIDENCE_LOCKER_LANG", "LC_ALL", "LC_MESSAGES", "LANGUAGE"):
        m.delenv(var, raising=False)


@pytest.fixture
def cli(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], locker_dir: Path
) -> Callable[..., CliResult]:
    """Run ``evidence-locker ARGS`` in this process, as a script would (no terminal)."""
    from evidence_locker.cli import main

    _cli_env(monkeypatch, locker_dir)

    def run(
        *args: str, input: str | None = None, env: dict[str, str | None] | None = None
    ) -> CliResult:
        with monkeypatch.context() as m:  # env overrides last for this one call
            for key, value in (env or {}).items():
                if value is None:
                    m.delenv(key, raising=False)
                else:
                    m.setenv(key, value)
            m.setattr(sys, "stdin", io.StringIO(input or ""))
            capsys.readouterr()
            code = main(list(args))
            captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


@contextmanager
def shared_cli(work: Path) -> Iterator[Callable[..., CliResult]]:
    """The ``cli`` fixture's runner for a fixture wider than one test (module scope: an
    artefact built once that its tests only read), on the locker ``work/locker``, with
    its own state directory, while the context lasts."""
    from evidence_locker.cli import main

    with pytest.MonkeyPatch.context() as m:
        _cli_env(m, work / "locker")
        m.setenv("EVIDENCE_LOCKER_STATE_DIR", str(work / "state"))

        def run(*args: str, input: str | None = None) -> CliResult:
            out, err = io.StringIO(), io.StringIO()
            with pytest.MonkeyPatch.context() as call:
                call.setattr(sys, "stdin", io.StringIO(input or ""))
                with redirect_stdout(out), redirect_stderr(err):
                    code = main(list(args))
            return CliResult(code, out.getvalue(), err.getvalue())

        yield run


@pytest.fixture(scope="session")
def ocr_engine():
    """The installed OCR engine, loaded once; skipped without the ocr extra, but never in CI."""
    import os

    from evidence_locker.ocr import engine_installed, get_engine

    if not engine_installed():
        if os.environ.get("CI"):
            pytest.fail("the ocr extra must be installed in CI (.ci/run installs '.[ocr]')")
        pytest.skip("the ocr extra is not installed (pip install 'evidence-locker[ocr]')")
    return get_engine()


@pytest.fixture(scope="session")
def template_initialised(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A locker made by ``init`` (real Argon2id, fresh keys) once per session, for
    ``ready`` to copy."""
    work = tmp_path_factory.mktemp("template-init")
    with shared_cli(work) as cli:
        assert cli("init").code == 0
    return work / "locker"


@pytest.fixture
def ready(
    cli: Callable[..., CliResult], locker_dir: Path, template_initialised: Path
) -> Callable[..., CliResult]:
    """The in-process CLI on a freshly initialised locker: a copy of the session's
    template, its head remembered here as ``init`` leaves it (100+ tests start here;
    ``init`` itself is tested where a test runs it)."""
    if locker_dir.exists() or os.environ.get("EVIDENCE_LOCKER_DATABASE_URL"):
        assert cli("init").code == 0
        return cli
    shutil.copytree(template_initialised, locker_dir)
    with Locker.open(locker_dir, passphrase=PASSPHRASE) as locker:
        _remember_head(locker)
    return cli


def _remember_head(locker: Locker) -> None:
    """Remember a copied locker's head outside it, as ``create`` and ``init`` do for a
    locker they make (a copy of a template is otherwise a locker never seen here)."""
    session = locker._session
    with session.read() as conn:
        session.memory.remember(session.ledger.head_note(conn))


def records(cli: Callable[..., CliResult]) -> list[dict[str, Any]]:
    """Every record of the locker, as ``list --json`` prints them."""
    return json.loads(cli("list", "--json").out)


# -- a local RFC 3161 time-stamp authority (tests/tsa_server.py) ----------------------


@pytest.fixture(scope="session")
def tsa_pki(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A test root and TSA certificate (and a stranger's), made once per session."""
    from tests.tsa_server import have_openssl_ts, make_pki

    if not have_openssl_ts():
        pytest.skip("openssl ts is not available")
    return make_pki(tmp_path_factory.mktemp("tsa-pki"))


@pytest.fixture
def tsa(tsa_pki):  # type: ignore[no-untyped-def]
    """The local TSA on 127.0.0.1, answering correctly until a test says otherwise."""
    from tests.tsa_server import TsaServer

    with TsaServer(tsa_pki) as server:
        yield server
