"""A throwaway PostgreSQL server for the tests, started from Debian's binaries.

Used when ``EVIDENCE_LOCKER_TEST_PG_URL`` is not set. The cluster lives in a temporary
directory, listens only on a Unix socket, and is stopped at the end of the session.
As root, the server runs as the ``postgres`` user (PostgreSQL refuses to run as root).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager


def find_bin() -> str | None:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if candidates:
        return os.path.dirname(candidates[-1])
    initdb = shutil.which("initdb")
    return os.path.dirname(initdb) if initdb else None


@contextmanager
def temporary_server() -> Iterator[str]:
    bindir = find_bin()
    if bindir is None:
        raise RuntimeError("PostgreSQL server binaries not found")
    root = tempfile.mkdtemp(prefix="el-pg-")
    data, sock = os.path.join(root, "data"), os.path.join(root, "sock")
    os.makedirs(sock)
    prefix: list[str] = []
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        for path in (root, sock):
            os.chown(path, user.pw_uid, user.pw_gid)
        os.chmod(root, 0o700)
        prefix = ["runuser", "-u", "postgres", "--"]
    run = lambda *cmd: subprocess.run([*prefix, *cmd], check=True, capture_output=True)  # noqa: E731
    run(f"{bindir}/initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8")
    run(
        f"{bindir}/pg_ctl",
        "-D",
        data,
        "-w",
        "-l",
        os.path.join(root, "log"),
        "start",
        "-o",
        f"-k {sock} -c listen_addresses='' -p 54329",
    )
    try:
        run(f"{bindir}/createdb", "-h", sock, "-p", "54329", "-U", "postgres", "locker")
        yield f"postgresql+psycopg://postgres@/locker?host={sock}&port=54329"
    finally:
        subprocess.run(
            [*prefix, f"{bindir}/pg_ctl", "-D", data, "-m", "immediate", "stop"],
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)
