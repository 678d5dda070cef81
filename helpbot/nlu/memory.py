"""How much memory this process holds now, for the size figures in evaluations."""

from __future__ import annotations

from pathlib import Path


def resident_mb() -> float:
    """Resident memory now (VmRSS). Not ru_maxrss: a child started from a big process
    reports the parent's peak there."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
