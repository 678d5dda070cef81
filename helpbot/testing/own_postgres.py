"""A PostgreSQL cluster of a test's own, on another port, that the test may stop and start
(never the shared one on 5432). Needs Debian's postgresql and root (it runs the server
as the postgres user)."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from helpbot.testing.bot_process import free_port


def _bin_dir() -> Path:
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not versions:
        raise RuntimeError("PostgreSQL's server binaries are missing (Debian package postgresql)")
    return versions[-1].parent


class OwnPostgres:
    def __init__(self, root: Path | None = None) -> None:
        # Its own folder under the system's temporary directory: the postgres user must
        # be able to reach it, which a root-only pytest folder does not allow.
        root = root or Path(tempfile.mkdtemp(prefix="helpbot-pg-"))
        root.chmod(0o755)
        self.root = root
        self.bin = _bin_dir()
        self.data = root / "pgdata"
        self.socket_dir = root / "pgsocket"
        self.log = root / "postgres.log"
        self.port = free_port()
        for folder in (self.data, self.socket_dir):
            folder.mkdir(parents=True, exist_ok=True)
        for path in (root, self.data, self.socket_dir):
            shutil.chown(path, "postgres", "postgres")
        self.log.touch()
        shutil.chown(self.log, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: str) -> None:
        command = ["runuser", "-u", "postgres", "--", str(self.bin / tool), *args]
        done = subprocess.run(
            command, capture_output=True, text=True, env=os.environ | {"LC_ALL": "C"}
        )
        if done.returncode != 0:
            raise RuntimeError(f"{tool} failed: {done.stderr.strip()[-500:]}")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.log), "-w", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        with contextlib.suppress(RuntimeError):
            self.stop()
        shutil.rmtree(self.root, ignore_errors=True)
