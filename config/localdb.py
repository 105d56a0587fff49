"""Find or start a PostgreSQL server for local runs and tests; print the DATABASE_URL to use.

Run from the project root:  python -m config.localdb  [--stop | --status]

Order (the first that works wins):
  1. DATABASE_URL from the environment, printed unchanged.
  2. A server on 127.0.0.1:5432 that lets user ``postgres`` in without a password.
     Set PARALLAX_SKIP_LOCAL_5432=1 to skip this step (used to test step 3).
  3. A private cluster under ``<project>/.pgdata`` (port 54329, trust auth, TCP on 127.0.0.1 and
     a Unix socket inside .pgdata), made with the system's PostgreSQL binaries. When none are
     installed and we are root, Debian's ``postgresql`` package is installed first.
     ``initdb`` refuses to run as root, so as root the cluster belongs to the ``postgres`` user.

The database ``parallax`` is created when missing. Only the URL goes to stdout; progress goes to
stderr. Standard library only (uses psycopg when it is importable, e.g. from the venv; otherwise
speaks just enough of the PostgreSQL wire protocol for trust authentication).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import pwd
import re
import shutil
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
PGDATA_DIR = PROJECT_DIR / ".pgdata"
DB_NAME = "parallax"
DB_USER = "postgres"
HOST = "127.0.0.1"
SYSTEM_PORT = 5432
PRIVATE_PORT = 54329
SKIP_SYSTEM_ENV = "PARALLAX_SKIP_LOCAL_5432"
# A Unix socket path must fit in sockaddr_un.sun_path (108 bytes on Linux, NUL included).
MAX_SOCKET_PATH = 100


class DatabaseError(Exception):
    """A server answered, but refused us (authentication, permissions, ...)."""


def log(message: str) -> None:
    print(f"localdb: {message}", file=sys.stderr, flush=True)


def url_for(port: int) -> str:
    return f"postgres://{DB_USER}@{HOST}:{port}/{DB_NAME}"


def is_root() -> bool:
    return os.geteuid() == 0


# --- talking to a server ------------------------------------------------------------------


def tcp_open(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def run_sql(port: int, sql: str, *, dbname: str = "postgres") -> list[tuple[str | None, ...]]:
    """Run one statement as user postgres on HOST:port and return its rows as text."""
    try:
        import psycopg
    except ImportError:
        return _wire_sql(port, sql, dbname=dbname)
    try:
        with psycopg.connect(
            host=HOST, port=port, user=DB_USER, dbname=dbname, connect_timeout=5, autocommit=True
        ) as conn:
            cur = conn.execute(sql)
            if cur.description is None:
                return []
            return [tuple(None if v is None else str(v) for v in row) for row in cur.fetchall()]
    except psycopg.Error as exc:
        raise DatabaseError(str(exc).strip()) from exc


def _wire_sql(port: int, sql: str, *, dbname: str) -> list[tuple[str | None, ...]]:
    """The simple-query protocol over TCP, trust authentication only (no psycopg needed)."""

    def recv_exact(sock: socket.socket, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = sock.recv(n - len(data))
            if not chunk:
                raise DatabaseError("the server closed the connection")
            data += chunk
        return data

    def read_message(sock: socket.socket) -> tuple[bytes, bytes]:
        kind, length = struct.unpack("!cI", recv_exact(sock, 5))
        return kind, recv_exact(sock, length - 4)

    def error_text(body: bytes) -> str:
        fields = {f[:1]: f[1:].decode("utf-8", "replace") for f in body.split(b"\0") if f}
        return fields.get(b"M", "unknown error")

    params = b"user\0" + DB_USER.encode() + b"\0database\0" + dbname.encode() + b"\0\0"
    startup = struct.pack("!II", 8 + len(params), 196608) + params
    rows: list[tuple[str | None, ...]] = []
    error = None
    try:
        with socket.create_connection((HOST, port), timeout=10) as sock:
            sock.sendall(startup)
            while True:
                kind, body = read_message(sock)
                if kind == b"R":
                    (auth,) = struct.unpack("!I", body[:4])
                    if auth != 0:
                        raise DatabaseError(f"user {DB_USER} needs a password (auth method {auth})")
                elif kind == b"E":
                    raise DatabaseError(error_text(body))
                elif kind == b"Z":
                    break
            query = sql.encode() + b"\0"
            sock.sendall(b"Q" + struct.pack("!I", 4 + len(query)) + query)
            while True:
                kind, body = read_message(sock)
                if kind == b"D":
                    (count,) = struct.unpack("!H", body[:2])
                    pos, row = 2, []
                    for _ in range(count):
                        (size,) = struct.unpack("!i", body[pos : pos + 4])
                        pos += 4
                        if size < 0:
                            row.append(None)
                        else:
                            row.append(body[pos : pos + size].decode("utf-8"))
                            pos += size
                    rows.append(tuple(row))
                elif kind == b"E":
                    error = error_text(body)
                elif kind == b"Z":
                    break
            sock.sendall(b"X" + struct.pack("!I", 4))
    except OSError as exc:
        raise DatabaseError(f"cannot talk to {HOST}:{port}: {exc}") from exc
    if error:
        raise DatabaseError(error)
    return rows


def ensure_database(port: int) -> None:
    """Create the parallax database on HOST:port unless it exists."""
    exists = run_sql(port, f"SELECT 1 FROM pg_database WHERE datname = '{DB_NAME}'")
    if exists:
        return
    try:
        run_sql(port, f'CREATE DATABASE "{DB_NAME}"')
        log(f"created database {DB_NAME} on port {port}")
    except DatabaseError as exc:
        if "already exists" not in str(exc):  # a concurrent run created it first
            raise


# --- step 2: a server on localhost:5432 ---------------------------------------------------


def pg_isready(port: int, bindir: Path | None = None) -> bool | None:
    """True/False from pg_isready, or None when the tool is not installed."""
    tool = shutil.which("pg_isready")
    if tool is None and bindir is not None and (bindir / "pg_isready").exists():
        tool = str(bindir / "pg_isready")
    if tool is None:
        return None
    result = subprocess.run(
        [tool, "-q", "-h", HOST, "-p", str(port), "-t", "3"], check=False, cwd="/"
    )
    return result.returncode == 0


def try_system_server() -> str | None:
    if os.environ.get(SKIP_SYSTEM_ENV, "") not in ("", "0"):
        log(f"{SKIP_SYSTEM_ENV} is set: not looking at port {SYSTEM_PORT}")
        return None
    if not tcp_open(HOST, SYSTEM_PORT) or pg_isready(SYSTEM_PORT) is False:
        log(f"no server accepting connections on {HOST}:{SYSTEM_PORT}")
        return None
    try:
        (role,) = run_sql(
            SYSTEM_PORT,
            "SELECT rolsuper OR rolcreatedb FROM pg_roles WHERE rolname = current_user",
        )
        if role[0] not in ("t", "True"):
            raise DatabaseError(f"user {DB_USER} may not create databases")
        ensure_database(SYSTEM_PORT)
    except DatabaseError as exc:
        log(f"the server on port {SYSTEM_PORT} refused us ({exc}); using a private cluster")
        return None
    log(f"using the server on {HOST}:{SYSTEM_PORT}")
    return url_for(SYSTEM_PORT)


# --- step 3: a private cluster --------------------------------------------------------------


def _version_key(path: Path) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", path.name)) or (0,)


def find_bindir() -> Path | None:
    """The directory holding initdb and pg_ctl: newest /usr/lib/postgresql/*/bin, then PATH."""
    candidates = sorted(Path("/usr/lib/postgresql").glob("*"), key=_version_key, reverse=True)
    for version_dir in candidates:
        bindir = version_dir / "bin"
        if (bindir / "initdb").exists() and (bindir / "pg_ctl").exists():
            return bindir
    initdb = shutil.which("initdb")
    if initdb and shutil.which("pg_ctl"):
        return Path(initdb).resolve().parent
    return None


def install_postgresql() -> None:
    if not is_root() or not shutil.which("apt-get"):
        raise SystemExit(
            "localdb: no PostgreSQL found. Install it (Debian/Ubuntu: sudo apt-get install "
            "postgresql), start a server on 127.0.0.1:5432, or set DATABASE_URL."
        )
    log("no PostgreSQL binaries found; installing Debian's postgresql package")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update"], check=True, env=env, stdout=sys.stderr)
    subprocess.run(
        ["apt-get", "install", "-y", "postgresql"], check=True, env=env, stdout=sys.stderr
    )


def ensure_postgres_user() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam("postgres")
    except KeyError:
        log("creating the postgres system user")
        subprocess.run(
            ["useradd", "--system", "--user-group", "--home-dir", "/var/lib/postgresql",
             "--shell", "/bin/bash", "postgres"],
            check=True,
        )
        return pwd.getpwnam("postgres")


def as_cluster_owner(argv: Sequence[str]) -> list[str]:
    """Prefix a command so it runs as the postgres user when we are root."""
    return ["runuser", "-u", "postgres", "--", *argv] if is_root() else list(argv)


def postgres_can_enter(path: Path) -> bool:
    result = subprocess.run(
        ["runuser", "-u", "postgres", "--", "test", "-x", str(path)],
        check=False, cwd="/", stderr=subprocess.DEVNULL,
    )
    return result.returncode == 0


def cluster_home(*, create: bool) -> Path:
    """Where data/, run/ and server.log live: .pgdata itself, or (as root, when the postgres user
    cannot reach the project, e.g. a clone under /root) a directory under /var/lib/postgresql that
    .pgdata/cluster points to."""
    link = PGDATA_DIR / "cluster"
    if link.is_symlink():
        return link.resolve()
    if not create or not is_root() or (PGDATA_DIR / "data").exists():
        return PGDATA_DIR
    owner = ensure_postgres_user()
    PGDATA_DIR.mkdir(mode=0o700, exist_ok=True)
    os.chown(PGDATA_DIR, owner.pw_uid, owner.pw_gid)
    if postgres_can_enter(PGDATA_DIR):
        return PGDATA_DIR
    digest = hashlib.sha1(str(PROJECT_DIR).encode()).hexdigest()[:10]
    home = Path("/var/lib/postgresql") / f"parallax-{digest}"
    log(f"the postgres user cannot reach {PROJECT_DIR}; keeping the cluster in {home}")
    os.chown(PGDATA_DIR, 0, 0)
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chown(home, owner.pw_uid, owner.pw_gid)
    link.symlink_to(home)
    return home


def pg_ctl_status(bindir: Path, data: Path) -> bool:
    if not (data / "PG_VERSION").exists():
        return False
    result = subprocess.run(
        as_cluster_owner([str(bindir / "pg_ctl"), "status", "-D", str(data)]),
        check=False, cwd="/", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    return result.returncode == 0


def init_cluster(bindir: Path, home: Path) -> None:
    data = home / "data"
    log(f"creating a private PostgreSQL cluster in {data}")
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    if is_root():
        owner = ensure_postgres_user()
        os.chown(home, owner.pw_uid, owner.pw_gid)
    base = [str(bindir / "initdb"), "-D", str(data), "--auth=trust", f"--username={DB_USER}",
            "--encoding=UTF8"]
    for locale in ("C.UTF-8", "C"):
        result = subprocess.run(
            as_cluster_owner([*base, f"--locale={locale}"]),
            check=False, cwd="/", stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        if result.returncode == 0:
            break
        log(f"initdb with locale {locale} failed:\n{result.stdout.strip()}")
        subprocess.run(as_cluster_owner(["rm", "-rf", str(data)]), check=False, cwd="/")
    else:
        raise SystemExit("localdb: initdb failed; see the messages above.")

    run_dir = home / "run"
    run_dir.mkdir(mode=0o700, exist_ok=True)
    if is_root():
        owner = pwd.getpwnam("postgres")
        os.chown(run_dir, owner.pw_uid, owner.pw_gid)
    socket_path = run_dir / f".s.PGSQL.{PRIVATE_PORT}"
    sockets = str(run_dir) if len(str(socket_path)) <= MAX_SOCKET_PATH else ""
    if not sockets:
        log("the project path is too long for a Unix socket; TCP only")
    settings = (
        "\n# Parallax private cluster (config/localdb.py)\n"
        f"listen_addresses = '{HOST}'\n"
        f"port = {PRIVATE_PORT}\n"
        f"unix_socket_directories = '{sockets.replace(chr(39), chr(39) * 2)}'\n"
        "synchronous_commit = off  # local use: a crash may lose the last commits, never data\n"
        "max_connections = 200\n"
    )
    conf = data / "postgresql.conf"
    with conf.open("a", encoding="utf-8") as handle:
        handle.write(settings)


def start_private_cluster() -> str:
    bindir = find_bindir()
    if bindir is None:
        install_postgresql()
        bindir = find_bindir()
        if bindir is None:
            raise SystemExit("localdb: postgresql is installed but initdb/pg_ctl were not found.")
    home = cluster_home(create=True)
    data = home / "data"
    if not (data / "PG_VERSION").exists():
        if data.exists():
            subprocess.run(as_cluster_owner(["rm", "-rf", str(data)]), check=False, cwd="/")
        init_cluster(bindir, home)

    if pg_ctl_status(bindir, data) and pg_isready(PRIVATE_PORT, bindir) is not False:
        log(f"reusing the private cluster on {HOST}:{PRIVATE_PORT} ({data})")
    else:
        logfile = home / "server.log"
        log(f"starting the private cluster on {HOST}:{PRIVATE_PORT} (log: {logfile})")
        result = subprocess.run(
            as_cluster_owner(
                [str(bindir / "pg_ctl"), "-D", str(data), "-l", str(logfile), "-w", "-t", "60",
                 "start"]
            ),
            check=False, cwd="/", stdout=sys.stderr,
        )
        if result.returncode != 0:
            tail = ""
            if logfile.exists():
                tail = "\n".join(logfile.read_text(errors="replace").splitlines()[-15:])
            raise SystemExit(f"localdb: pg_ctl start failed (exit {result.returncode}).\n{tail}")
    for _ in range(30):  # pg_ctl -w returned; give the TCP listener a moment if it needs one
        if tcp_open(HOST, PRIVATE_PORT):
            break
        time.sleep(0.5)
    ensure_database(PRIVATE_PORT)
    return url_for(PRIVATE_PORT)


def stop_private_cluster() -> int:
    bindir = find_bindir()
    data = cluster_home(create=False) / "data"
    if bindir is None or not pg_ctl_status(bindir, data):
        log("the private cluster is not running")
        return 0
    log(f"stopping the private cluster in {data}")
    result = subprocess.run(
        as_cluster_owner([str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]),
        check=False, cwd="/", stdout=sys.stderr,
    )
    return result.returncode


def private_cluster_running() -> bool:
    bindir = find_bindir()
    return bindir is not None and pg_ctl_status(bindir, cluster_home(create=False) / "data")


# --- entry point ----------------------------------------------------------------------------


def database_url() -> str:
    """The DATABASE_URL to use, starting a private cluster if nothing else is available."""
    from_env = os.environ.get("DATABASE_URL", "")
    if from_env:
        log("using DATABASE_URL from the environment")
        return from_env
    return try_system_server() or start_private_cluster()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m config.localdb",
        description="Find or start PostgreSQL for Parallax and print the DATABASE_URL to use.",
    )
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--stop", action="store_true", help="stop the private cluster in .pgdata")
    group.add_argument(
        "--status", action="store_true", help="exit 0 if the private cluster is running, else 3"
    )
    args = parser.parse_args(argv)
    if args.stop:
        return stop_private_cluster()
    if args.status:
        return 0 if private_cluster_running() else 3
    print(database_url(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
