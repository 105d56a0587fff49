"""Fault benchmark (issue 14): PostgreSQL restarts under load.

Starts a private PostgreSQL cluster (initdb in a folder under /tmp, its own port), migrates it,
makes a story and 20 writers with personal tokens, and serves Parallax on it as ``make run``
does (``python -m config.serve``: pages on WSGI, the live stream on ASGI), DEBUG off. Then:

- 20 writers POST annotations to ``/annotations/`` (W3C protocol, bearer token) in a loop;
- 50 listeners hold the story's live stream open, reconnecting with ``Last-Event-ID`` like a
  browser (after ``retry`` ms, or 1 s after a refused stream);
- after a warm-up, a fast restart (``pg_ctl restart -m fast``), then an 8 s outage
  (``pg_ctl stop -m fast``, 8 s, ``pg_ctl start``).

It reports answers by status, the time from the database being back to the first and to every
writer's next acknowledged write, writes acknowledged (201) against rows stored, and, per
listener, the events owed (every public event of the story committed while it ran) against
those delivered, missing and duplicated.

    .venv/bin/python bench/fault.py [--port 5443] [--writers 20] [--listeners 50]
"""

from __future__ import annotations

import argparse
import collections
import http.client
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from config import localdb  # noqa: E402

SLUG = "fault-story"


def log(message: str) -> None:
    print(f"[fault {time.strftime('%H:%M:%S')}] {message}", flush=True)


class Cluster:
    """A throw-away PostgreSQL cluster in a folder under /tmp."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.bindir = localdb.find_bindir()
        if self.bindir is None:
            raise SystemExit("PostgreSQL's initdb/pg_ctl are needed (apt-get install postgresql)")
        self.home = Path(tempfile.mkdtemp(prefix="parallax-fault-"))
        self.data, self.run = self.home / "data", self.home / "run"
        self.run.mkdir()
        if localdb.is_root():
            owner = localdb.ensure_postgres_user()
            for path in (self.home, self.run):
                os.chown(path, owner.pw_uid, owner.pw_gid)

    def _ctl(self, *args: str) -> None:
        subprocess.run(localdb.as_cluster_owner([str(self.bindir / "pg_ctl"), *args]),
                       check=True, cwd="/", stdout=subprocess.DEVNULL)  # fmt: skip

    def init(self) -> None:
        subprocess.run(localdb.as_cluster_owner([
            str(self.bindir / "initdb"), "-D", str(self.data), "-U", "postgres",
            "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"]),
            check=True, cwd="/", stdout=subprocess.DEVNULL)  # fmt: skip
        self.start()

    def start(self) -> None:
        options = f"-p {self.port} -k {self.run} -c listen_addresses=127.0.0.1 -c max_connections=200"
        self._ctl("start", "-w", "-D", str(self.data), "-o", options, "-l", str(self.home / "log"))

    def stop(self) -> None:
        self._ctl("stop", "-w", "-m", "fast", "-D", str(self.data))

    def restart(self) -> None:
        options = f"-p {self.port} -k {self.run} -c listen_addresses=127.0.0.1 -c max_connections=200"
        self._ctl("restart", "-w", "-m", "fast", "-D", str(self.data), "-o", options)

    def destroy(self) -> None:
        try:
            self.stop()
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.home, ignore_errors=True)

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/parallax_fault"


SETUP = """
import json, django
django.setup()
from django.contrib.auth import get_user_model
from articles.models import Article, Source, Story
from opendata.services import token_create
from tests import factories
story = factories.make_story(slug=%(slug)r, title="Fault story")
body = " ".join(f"word{i}" for i in range(4000))
article = factories.make_article(story=story, body=body)
tokens = []
for i in range(%(writers)d):
    user = get_user_model().objects.create_user(f"writer{i}")
    tokens.append(token_create(user=user, name="fault")[1])
print(json.dumps({"article": article.pk, "body": body, "tokens": tokens}))
"""


class Writer(threading.Thread):
    def __init__(self, n: int, base: str, token: str, article: int, body: str, stats) -> None:
        super().__init__(daemon=True)
        self.n, self.base, self.token, self.article, self.body, self.stats = (
            n, base, token, article, body, stats)  # fmt: skip
        self.stop = threading.Event()
        self.acked: list[int] = []
        self.successes: list[float] = []
        self.requests: list[tuple[float, float, object]] = []  # (start, seconds, status)

    def run(self) -> None:
        words = [(m, m + len(w)) for m, w in self._words()]
        i = self.n
        host, port = self.base.split("//")[1].split(":")
        while not self.stop.is_set():
            start, end = words[i % len(words)]
            i += 20  # writers take disjoint spans
            annotation = {
                "@context": "http://www.w3.org/ns/anno.jsonld", "type": "Annotation",
                "motivation": "highlighting",
                "target": {"source": f"{self.base}/annotations/articles/{self.article}",
                           "selector": [{"type": "TextQuoteSelector", "exact": self.body[start:end]},
                                        {"type": "TextPositionSelector", "start": start, "end": end}]},
            }  # fmt: skip
            t0 = time.monotonic()
            try:
                conn = http.client.HTTPConnection(host, int(port), timeout=30)
                conn.request("POST", "/annotations/", json.dumps(annotation), {
                    "Content-Type": "application/ld+json", "Authorization": f"Bearer {self.token}"})
                response = conn.getresponse()
                data = response.read()
                status = response.status
                conn.close()
            except OSError:
                status, data = "conn-error", b""
            elapsed = time.monotonic() - t0
            self.stats.record(status, elapsed)
            self.requests.append((t0, elapsed, status))
            if status == 201:
                self.acked.append(int(json.loads(data)["id"].rsplit("-", 1)[1]))
                self.successes.append(time.monotonic())
            elif status != 201:
                time.sleep(0.2)

    def _words(self):
        at = 0
        for word in self.body.split(" "):
            yield at, word
            at += len(word) + 1


class Listener(threading.Thread):
    def __init__(self, base: str, stats) -> None:
        super().__init__(daemon=True)
        self.base, self.stats = base, stats
        self.stop = threading.Event()
        self.ids: list[int] = []
        self.last_id = 0
        self.since = int(time.time()) - 1
        self.connects = 0

    def run(self) -> None:
        host, port = self.base.split("//")[1].split(":")
        while not self.stop.is_set():
            query = f"after={self.last_id}" if self.last_id else f"since={self.since}"
            headers = {"Accept": "text/event-stream"}
            if self.last_id:
                headers["Last-Event-ID"] = str(self.last_id)
            retry = 1.0
            try:
                conn = http.client.HTTPConnection(host, int(port), timeout=20)
                conn.request("GET", f"/stories/{SLUG}/live/?{query}", headers=headers)
                response = conn.getresponse()
                self.connects += 1
                self.stats.record(f"stream {response.status}", 0)
                if response.status != 200:
                    response.read()
                    conn.close()
                    time.sleep(1.0)
                    continue
                event_id = None
                while not self.stop.is_set():
                    line = response.readline()
                    if not line:
                        break
                    line = line.decode().rstrip("\n")
                    if line.startswith("id: "):
                        event_id = int(line[4:])
                    elif line.startswith("retry: "):
                        retry = int(line[7:]) / 1000
                    elif line == "" and event_id is not None:
                        self.ids.append(event_id)
                        self.last_id = max(self.last_id, event_id)
                        event_id = None
                conn.close()
            except (OSError, http.client.HTTPException):
                pass
            time.sleep(retry)


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.status: collections.Counter = collections.Counter()
        self.slow: list[float] = []

    def record(self, status, elapsed: float) -> None:
        with self.lock:
            self.status[str(status)] += 1
            self.slow.append(elapsed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=5443, help="the private cluster's port")
    parser.add_argument("--writers", type=int, default=20)
    parser.add_argument("--listeners", type=int, default=50)
    parser.add_argument("--outage", type=float, default=8.0, help="seconds the database is down")
    parser.add_argument("--database", default="parallax_fault", help="(in the private cluster)")
    parser.add_argument("--keep-log", help="copy the server's log here")
    args = parser.parse_args()

    cluster = Cluster(args.port)
    server = None
    try:
        log(f"initdb in {cluster.home}, port {args.port}")
        cluster.init()
        subprocess.run(localdb.as_cluster_owner([str(cluster.bindir / "createdb"), "-h",
                       str(cluster.run), "-p", str(args.port), "-U", "postgres", args.database]),
                       check=True, cwd="/")  # fmt: skip
        env = {**os.environ, "DATABASE_URL": cluster.url.replace("parallax_fault", args.database),
               "DEBUG": "0", "SECRET_KEY": secrets.token_urlsafe(50),
               "ALLOWED_HOSTS": "127.0.0.1", "SECURE_SSL_REDIRECT": "0", "SECURE_HSTS_SECONDS": "0",
               "DJANGO_SETTINGS_MODULE": "config.settings", "SUGGESTIONS_AUTO_REFRESH": "0",
               "DB_POOL_MAX": "30", "PYTHONPATH": str(PROJECT)}  # fmt: skip
        py = sys.executable
        subprocess.run([py, "manage.py", "migrate", "-v0"], cwd=PROJECT, env=env, check=True)
        static = tempfile.mkdtemp(prefix="parallax-fault-static-")
        env["STATIC_ROOT"] = static
        made = subprocess.run([py, "-c", SETUP % {"slug": SLUG, "writers": args.writers}],
                              cwd=PROJECT, env={**env, "DEBUG": "1"}, check=True,
                              capture_output=True, text=True)  # fmt: skip
        setup = json.loads(made.stdout.strip().splitlines()[-1])
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            http_port = sock.getsockname()[1]
        base = f"http://127.0.0.1:{http_port}"
        server_log = open(cluster.home / "server.log", "w")  # noqa: SIM115
        server = subprocess.Popen(
            [py, "-m", "config.serve", "--host", "127.0.0.1", "--port", str(http_port),
             "--no-access-log"], cwd=PROJECT, env=env, stdout=server_log,
            stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
        for _ in range(300):
            try:
                urllib.request.urlopen(base + "/annotations/openapi.json", timeout=2)  # noqa: S310
                break
            except OSError:
                time.sleep(0.2)
        log(f"serving on {base}; {args.writers} writers, {args.listeners} listeners")

        stats = Stats()
        run_started = time.time()
        listeners = [Listener(base, stats) for _ in range(args.listeners)]
        for listener in listeners:
            listener.start()
        time.sleep(3)
        writers = [Writer(i, base, token, setup["article"], setup["body"], stats)
                   for i, token in enumerate(setup["tokens"])]  # fmt: skip
        for writer in writers:
            writer.start()
        time.sleep(5)

        first = sorted(s for w in writers for _t, s, st in w.requests if st == 201)
        baseline = first[len(first) // 2] if first else float("nan")
        recoveries = []
        for name, action in [("fast restart", "restart"), (f"{args.outage:g} s outage", "outage")]:
            log(name)
            if action == "restart":
                cluster.restart()
            else:
                cluster.stop()
                time.sleep(args.outage)
                cluster.start()
            back = time.monotonic()
            time.sleep(8)
            requests = [r for w in writers for r in w.requests]
            # Recovery: the latest start, after the database was back, of a write that failed
            # (every write started later succeeded); 0 if none failed after it was back.
            failed_after = [t0 - back for t0, _s, status in requests if t0 >= back and status != 201]
            during = [s for t0, s, status in requests if status != 201 and t0 >= back - 12]
            steady = sorted(s for t0, s, st in requests if st == 201 and t0 >= back + 3)
            recoveries.append({
                "event": name,
                "last_failed_write_started_after_back_s": round(max(failed_after, default=0), 2),
                "failed_writes": len(during),
                "slowest_failure_s": round(max(during, default=0), 2),
                "median_write_after_recovery_s": round(steady[len(steady) // 2], 2) if steady else None,
            })
        log("stopping writers; listeners drain for 6 s")
        for writer in writers:
            writer.stop.set()
        for writer in writers:
            writer.join(35)
        time.sleep(6)
        for listener in listeners:
            listener.stop.set()

        import psycopg

        with psycopg.connect(env["DATABASE_URL"].replace("postgres://", "postgresql://")) as conn:
            acked = [pk for w in writers for pk in w.acked]
            stored = conn.execute("SELECT count(*) FROM annotations_claim WHERE id = ANY(%s)",
                                  [acked]).fetchone()[0]  # fmt: skip
            all_claims = conn.execute("SELECT count(*) FROM annotations_claim").fetchone()[0]
            owed = [r[0] for r in conn.execute(
                "SELECT e.id FROM activity_event e JOIN articles_story s ON s.id = e.story_id"
                " WHERE s.slug = %s AND e.visibility = 'public' ORDER BY e.id", [SLUG])]  # fmt: skip
        owed_set = set(owed)
        missing = [len(owed_set - set(listener.ids)) for listener in listeners]
        duplicates = [len(listener.ids) - len(set(listener.ids)) for listener in listeners]
        extra = [len(set(listener.ids) - owed_set) for listener in listeners]
        result = {
            "writers": args.writers, "listeners": args.listeners, "outage_s": args.outage,
            "run_s": round(time.time() - run_started, 1),
            "status": dict(sorted(stats.status.items())),
            "slowest_request_s": round(max(stats.slow), 2),
            "recovery": recoveries,
            "median_write_before_faults_s": round(baseline, 2),
            "writes_acked": len(acked), "acked_stored": stored, "claims_in_db": all_claims,
            "events_owed_per_listener": len(owed),
            "events_delivered_total": sum(len(set(listener.ids)) for listener in listeners),
            "listeners_missing_any": sum(1 for m in missing if m),
            "events_missing_total": sum(missing), "events_duplicated_total": sum(duplicates),
            "events_not_owed_total": sum(extra),
            "stream_connects": sum(listener.connects for listener in listeners),
        }  # fmt: skip
        print(json.dumps(result, indent=2))
        server_log.flush()
        lines = open(cluster.home / "server.log").read().splitlines()
        errors = collections.Counter(
            lines[i + j].strip()[:160]
            for i, line in enumerate(lines) if line.startswith("Traceback")
            for j in range(1, 200) if i + j < len(lines) and lines[i + j][:1] not in (" ", "")
            and not lines[i + j].startswith("Traceback") and j == next(
                k for k in range(1, 200) if i + k >= len(lines) or lines[i + k][:1] not in (" ",)))
        log(f"tracebacks in the server log: {sum(errors.values())}")
        for message, count in errors.most_common():
            log(f"  {count} x {message}")
        if args.keep_log:
            shutil.copy(cluster.home / "server.log", args.keep_log)
    finally:
        if server is not None and server.poll() is None:
            os.killpg(server.pid, 15)
            server.wait(15)
        cluster.destroy()


if __name__ == "__main__":
    main()
