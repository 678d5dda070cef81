"""How much memory this process holds now, and giving back what it freed."""

from __future__ import annotations

import contextlib
import ctypes
from pathlib import Path


def resident_mb() -> float:
    """Resident memory now (VmRSS). Not ru_maxrss: a child started from a big process
    reports the parent's peak there."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def give_back_freed() -> None:
    """Returns freed C heap to the system. glibc keeps it otherwise: after the large
    buffers of a long message, or of loading, the process stays tens of MB bigger for
    good. Not glibc: nothing to do."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
