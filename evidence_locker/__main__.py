"""``python -m evidence_locker`` is the same as the ``evidence-locker`` command."""

from evidence_locker.cli import run

run()
