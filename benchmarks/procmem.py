"""This process's memory, for the benchmarks' memory figures (MiB).

``peak_rss_mib`` reads ``VmHWM`` from /proc, which ``clear_refs`` can reset (the
import benchmark forgets the key derivation's peak that way); elsewhere it falls back
to ``getrusage``'s lifetime peak.
"""

from __future__ import annotations

import resource
import sys


def _status_mib(field: str) -> float | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def peak_rss_mib() -> float:
    """The most resident memory this process has had (since the last reset)."""
    found = _status_mib("VmHWM")
    if found is not None:
        return found
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB; bytes on macOS
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def rss_mib() -> float:
    """Resident memory now (the peak where /proc is missing)."""
    found = _status_mib("VmRSS")
    return found if found is not None else peak_rss_mib()
