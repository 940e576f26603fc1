"""Run ``evidence-locker passwd --rotate`` and SIGKILL it at a chosen point.

    python tests/rotate_victim.py POINT

The locker and the passphrases come from the environment, as for the CLI. The point
is reached by wrapping a function of the rotation (or of what it calls) so that the
process kills itself there with SIGKILL: no cleanup runs, as with ``kill -9``.
Points: ``staging`` (the second blob re-encrypted), ``before_commit`` (every row
rewritten, not committed), ``after_commit`` (committed, folders not swapped),
``mid_swap`` (old folder retired, new one not yet in place), ``after_swap`` (swapped,
retired folder not removed).
"""

from __future__ import annotations

import os
import signal
import sys


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def arm(point: str) -> None:
    from evidence_locker.locker import rotation
    from evidence_locker.store.blobs import BlobStore

    if point == "staging":
        put, calls = BlobStore.put, []

        def put_then_die(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            calls.append(1)
            if len(calls) == 2:
                die()
            return put(self, *args, **kwargs)

        BlobStore.put = put_then_die  # type: ignore[method-assign]
    elif point == "before_commit":
        rewrap = rotation._rewrap_keys

        def rewrap_then_die(*args, **kwargs):  # type: ignore[no-untyped-def]
            rewrap(*args, **kwargs)
            die()

        rotation._rewrap_keys = rewrap_then_die
    elif point in ("after_commit", "mid_swap", "after_swap"):
        # only the swap that the rotation itself runs (opening the locker runs one too)
        rotate, swap = rotation.rotate, rotation.finish_swap

        def rotate_armed(*args, **kwargs):  # type: ignore[no-untyped-def]
            rotation.finish_swap = swap_then_die
            return rotate(*args, **kwargs)

        rotation.rotate = rotate_armed

        def swap_then_die(*args, **kwargs):  # type: ignore[no-untyped-def]
            import os as os_module
            import shutil

            if point == "after_commit":
                die()
            if point == "mid_swap":
                replace = os_module.replace

                def replace_then_die(src, dst):  # type: ignore[no-untyped-def]
                    replace(src, dst)
                    die()  # the old folder is retired, the new one not in place

                os_module.replace = replace_then_die  # type: ignore[assignment]
            else:
                shutil.rmtree = lambda *a, **k: die()  # type: ignore[assignment]
            swap(*args, **kwargs)
    else:
        raise SystemExit(f"unknown point {point}")


if __name__ == "__main__":
    arm(sys.argv[1])
    from evidence_locker.cli import main

    sys.exit(main(["passwd", "--rotate"]))
