"""A private PostgreSQL cluster for the tests: initdb into a temporary folder, pg_ctl on a free port.

PostgreSQL refuses to run as root, so as root the cluster belongs to the
`postgres` system user (created by Debian's package) and is started with
runuser. Authentication is `trust` on 127.0.0.1 only; the cluster is stopped
(fast shutdown) by `stop`.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.helpers.broker import free_port


def postgres_bindir() -> Path:
    """Folder of initdb/pg_ctl (Debian keeps them in /usr/lib/postgresql/<version>/bin)."""
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if not candidates:
        raise RuntimeError("PostgreSQL is not installed: run scripts/setup.sh (apt-get install postgresql)")
    return Path(candidates[-1]).parent


class PrivatePostgres:
    """A throw-away cluster in a new folder under the system temp dir; `url(database)` gives a URL.

    The folder is not under pytest's tmp_path because that is private to root
    (mode 700) and the `postgres` user could not reach it; `stop` removes it.
    """

    def __init__(self) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="footfall-pg-"))
        self.directory.chmod(0o755)
        self.port = free_port()
        self._bin = postgres_bindir()
        self._as_user: list[str] = []
        if os.geteuid() == 0:
            self._as_user = ["runuser", "-u", "postgres", "--"]

    def _run(self, *args: str) -> None:
        result = subprocess.run([*self._as_user, *args], capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise RuntimeError(
                f"{' '.join(args)} failed ({result.returncode}): {result.stderr or result.stdout}"
            )

    def start(self) -> None:
        """initdb and start; raises RuntimeError with PostgreSQL's own message on failure."""
        if self._as_user:
            shutil.chown(self.directory, "postgres", "postgres")
        data, log = self.directory / "data", self.directory / "postgres.log"
        self._run(str(self._bin / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8")
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.directory} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=50"
        )
        self._run(str(self._bin / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "start")

    def stop(self) -> None:
        """Fast shutdown (ends open sessions)."""
        try:
            self._run(
                str(self._bin / "pg_ctl"), "-D", str(self.directory / "data"), "-m", "fast", "-w", "stop"
            )
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        """SQLAlchemy URL of `database` as user postgres over TCP."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """Create `name` and return its URL."""
        import psycopg

        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True
        ) as c:
            c.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)
