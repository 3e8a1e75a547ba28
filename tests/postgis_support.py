"""A PostGIS server for the tests: the one CI started, or a throwaway local cluster.

Where the server comes from, first match wins:

1. ``GUPGEO_TEST_PG_URL`` (``postgresql://user@host:port/base``);
2. the libpq environment (``PGHOST``/``PGDATABASE`` set, as ``.ci/run`` exports them);
3. Debian's PostgreSQL binaries (``/usr/lib/postgresql/<version>/bin/initdb``): a
   cluster is created in a temporary directory, listening on its own unix socket and
   on 127.0.0.1 only, with ``CREATE EXTENSION postgis``, and stopped at the end of the
   session. As root it runs as the ``postgres`` user (initdb refuses root).

When none is usable, :func:`require_postgis` fails the test in CI (``CI=true``) and
skips it elsewhere, with the command that installs what is missing.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
INSTALL = "apt-get install -y --no-install-recommends postgresql postgresql-15-postgis-3"
DATABASE = "gupgeo_test"


def missing(what: str) -> None:
    """Fail in CI, skip elsewhere."""
    if IN_CI:
        pytest.fail(f"CI : {what}", pytrace=False)
    pytest.skip(what)


def pg_bin() -> Path | None:
    """The newest Debian PostgreSQL ``bin`` folder holding ``initdb``, or None."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    return found[-1].parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as(user: str | None, cmd: list[str]) -> list[str]:
    return ["runuser", "-u", user, "--", *cmd] if user else cmd


@contextlib.contextmanager
def throwaway_cluster() -> Iterator[str]:
    """Start a PostgreSQL cluster in a temporary directory; yield its URL; stop it."""
    bindir = pg_bin()
    if bindir is None:
        raise FileNotFoundError(f"initdb introuvable sous /usr/lib/postgresql : {INSTALL}")
    user = "postgres" if os.geteuid() == 0 else None
    owner = pwd.getpwnam(user) if user else None
    root = Path(tempfile.mkdtemp(prefix="gupgeo-pg-"))
    if owner:
        os.chown(root, owner.pw_uid, owner.pw_gid)
    data, port = root / "data", _free_port()
    db_user = user or pwd.getpwuid(os.geteuid()).pw_name
    try:
        _run(_as(user, [str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", db_user]))
        options = f"-k {root} -h 127.0.0.1 -p {port} -F"
        log = str(root / "log")
        _run(
            _as(
                user,
                [str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-w", "-l", log, "start"],
            )
        )
        url = f"postgresql://{db_user}@127.0.0.1:{port}"
        _create_database(f"{url}/postgres")
        yield f"{url}/{DATABASE}"
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run(
                _as(user, [str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
                capture_output=True,
            )
        shutil.rmtree(root, ignore_errors=True)


def _run(cmd: list[str]) -> None:
    subprocess.run(cmd, check=True, capture_output=True, text=True)


def _create_database(admin_url: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {DATABASE}")
    with psycopg.connect(admin_url.rsplit("/", 1)[0] + f"/{DATABASE}", autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")


def configured_url() -> str | None:
    """The server named by the environment: ``GUPGEO_TEST_PG_URL``, else libpq's variables."""
    if os.environ.get("GUPGEO_TEST_PG_URL"):
        return os.environ["GUPGEO_TEST_PG_URL"]
    if os.environ.get("PGHOST") or os.environ.get("PGDATABASE"):
        return "postgresql://"
    return None


def reachable(url: str) -> str | None:
    """Why ``url`` is not a usable PostGIS database, or None when it is."""
    try:
        import psycopg
    except ImportError:
        return "psycopg absent : `.venv/bin/pip install -e '.[dev]'`"
    try:
        with psycopg.connect(url, connect_timeout=5) as conn:
            conn.execute("SELECT postgis_version()")
    except psycopg.Error as exc:
        return f"PostGIS injoignable à {url or 'PGHOST…'} : {str(exc).strip()}"
    return None


def require_postgis(url: str | None) -> str:
    """``url`` when it is a usable PostGIS database; fail in CI, skip elsewhere."""
    if url is None:
        missing(f"aucun serveur PostGIS (GUPGEO_TEST_PG_URL, PGHOST) ni initdb : {INSTALL}")
        raise AssertionError("unreachable")
    problem = reachable(url)
    if problem:
        missing(problem)
    return url


def with_schema(url: str, schema: str | None = None) -> str:
    """``url`` targeting ``schema`` (a fresh unique one by default)."""
    schema = schema or f"t_{uuid.uuid4().hex[:12]}"
    from urllib.parse import quote

    return f"{url}{'&' if '?' in url else '?'}schema={quote(schema, safe='')}"


@pytest.fixture(scope="session")
def postgis_server() -> Iterator[str | None]:
    """The URL of a PostGIS database for the session (None when none can be had)."""
    url = configured_url()
    if url is not None or pg_bin() is None:
        yield url
        return
    try:
        cluster = throwaway_cluster()
        started = cluster.__enter__()
    except (OSError, subprocess.CalledProcessError) as exc:
        detail = getattr(exc, "stderr", "") or ""
        print(f"cluster PostgreSQL local impossible : {exc} {detail}")
        yield None
        return
    try:
        yield started
    finally:
        cluster.__exit__(None, None, None)


@pytest.fixture
def pg_url(postgis_server: str | None) -> str:
    """A PostGIS URL targeting a fresh schema of its own (``?schema=t_…``)."""
    return with_schema(require_postgis(postgis_server))


def wait_for(url: str, seconds: float = 10) -> None:
    """Wait until ``url`` accepts connections."""
    deadline = time.monotonic() + seconds
    while reachable(url) and time.monotonic() < deadline:
        time.sleep(0.2)
