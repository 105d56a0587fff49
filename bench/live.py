"""Live team sessions benchmark (issue 4): writes while many people hold live streams.

    .venv/bin/python bench/live.py [--writers 20 --listeners 50 --duration 60 --idle-streams 200]

In the benchmark database parallax_bench_live, served by uvicorn (1 worker, DEBUG off):

  1. Baseline: --writers clients POST ``/bench/bare-insert/`` (config/bench_urls.py: the same
     stack, login and CSRF, then one INSERT) for --baseline-duration seconds.
  2. Writes alone: the same clients annotate a copy of the demo story (``bench-live``) through
     the real actions: each request highlights a new claim (``POST /articles/<pk>/claims/`` with
     ``HX-Request`` and ``X-Parallax-Mark`` as the Highlight button sends them, answered with the
     claim's id), and every claim after a writer's
     first also links it to that writer's previous claim in another column (``POST /links/``).
     Visibility rotates: 8 in 10 claims public, 1 private, 1 for a team (writers 0-9 and
     listeners 0-24 are in it; other writers' "team" claims are public).
  3. Live session: the same writes for --duration seconds while --listeners people (each logged
     in as their own user) hold ``GET /stories/bench-live/live/`` streams.
     Reported: errors, whether every event reached every listener that may see it (and that
     none reached one who may not), and the delay from the event's ``created_at`` (taken inside
     the writing transaction, just before COMMIT, so the delay is an upper bound of
     commit→delivery) to the moment the listener's socket read it.
  4. Memory: the server's RSS before and with --idle-streams idle streams open.

Writes bench/results/live.json and prints a markdown table.
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
import threading
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import claims as claims_bench  # noqa: E402  (django_setup, story_copy, users, sessions)
import harness  # noqa: E402

DATABASE = "parallax_bench_live"
STORY = "bench-live"
WRITER = "bench-live-writer-{:02d}"
LISTENER = "bench-live-listener-{:02d}"
TEAM = "Bench live team"
SPAN_STEP = 7
SPAN_LENGTH = 30
RELATIONS = ["agrees", "contradicts", "qualifies"]
MARK_HEADERS = "X-Parallax-Popup: 1\r\nX-Parallax-Mark: 1\r\n"


# --- data ---------------------------------------------------------------------------------------


def prepare(*, writers: int, listeners: int) -> dict:
    """The story copy, users, team and sessions; returns what the clients need."""
    from activity.models import Event, Presence
    from annotations.models import Claim
    from teams.models import Membership, Team

    story, articles = claims_bench.story_copy(slug=STORY, title="Bench: live session")
    writer_names = [WRITER.format(i) for i in range(writers)]
    listener_names = [LISTENER.format(i) for i in range(listeners)]
    claims_bench.users(writer_names + listener_names)
    Team.objects.filter(name=TEAM).delete()  # protected claims went with the old story copy
    team = Team.objects.create(name=TEAM, slug="bench-live-team")
    from django.contrib.auth import get_user_model

    users = {u.username: u for u in get_user_model().objects.filter(
        username__in=writer_names + listener_names
    )}  # fmt: skip
    in_team = writer_names[:10] + listener_names[: listeners // 2]
    Membership.objects.bulk_create(
        [Membership(team=team, user=users[name], role="annotator") for name in in_team]
    )
    Presence.objects.filter(story=story).delete()
    Claim.objects.filter(article__story=story).delete()
    Event.objects.filter(story=story).delete()
    page = f"/stories/{STORY}/"
    return {
        "story_id": story.pk,
        "team_id": team.pk,
        "articles": [(a.pk, a.body) for a in articles],
        "writers": claims_bench.sessions(writer_names, page=page),
        "listeners": claims_bench.sessions(listener_names, page=page),
        "listener_ids": [users[name].pk for name in listener_names],
        "team_listener_ids": {users[name].pk for name in in_team if name in listener_names},
    }


def reset_story(story_id: int) -> None:
    from activity.models import Event
    from annotations.models import Claim

    Claim.objects.filter(article__story_id=story_id).delete()
    Event.objects.filter(story_id=story_id).delete()


# --- writers ------------------------------------------------------------------------------------


class Writers:
    """Closed-loop writers: each sends its next claim (and link) when the last one returns."""

    def __init__(self, port: int, data: dict, *, bare: bool = False, think: float = 0):
        self.port, self.data, self.bare, self.think = port, data, bare, think
        self.sessions = data["writers"]
        self.team_id = data["team_id"]
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self.writes = 0
        self.lock = threading.Lock()

    def _post(self, who: dict, path: str, fields: dict, extra: str = "") -> bytes:
        body = urllib.parse.urlencode(fields).encode()
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {harness.HOST}:{self.port}\r\n"
            "User-Agent: parallax-bench\r\nAccept: text/html\r\nConnection: keep-alive\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\n"
            f"Cookie: sessionid={who['session']}; csrftoken={who['csrf']}\r\n"
            f"X-CSRFToken: {who['csrf']}\r\nHX-Request: true\r\nHX-Target: reader\r\n"
            f"HX-Current-URL: http://{harness.HOST}:{self.port}/stories/{STORY}/\r\n{extra}\r\n"
        )
        return head.encode() + body

    def run(self, seconds: float, server: harness.Server | None = None) -> float:
        cpu_before = server.cpu_seconds() if server else 0.0
        stop = time.perf_counter() + seconds
        threads = [
            threading.Thread(target=self._worker, args=(i, stop), daemon=True)
            for i in range(len(self.sessions))
        ]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if server:
            self.server_cpu_s = server.cpu_seconds() - cpu_before
        return time.perf_counter() - started

    def _send(self, conn: harness.Connection, request: bytes, ok=(200,)):
        sent = time.perf_counter()
        try:
            status, headers, body = conn.get(request)
        except OSError as exc:
            conn.close()
            with self.lock:
                self.errors.append(repr(exc))
            return None
        with self.lock:
            if status in ok:
                self.latencies.append(time.perf_counter() - sent)
                self.writes += 1
            else:
                self.errors.append(f"HTTP {status}")
        return body if status in ok else None

    def _worker(self, index: int, stop: float) -> None:
        who = self.sessions[index]
        conn = harness.Connection(self.port)
        articles = self.data["articles"]
        previous: tuple[int, int] | None = None  # (claim pk, article index)
        n = 0
        try:
            while time.perf_counter() < stop:
                art = (n + index) % len(articles)
                pk, body = articles[art]
                start = (index * 101 + (n // len(articles)) * SPAN_STEP) % (len(body) - SPAN_LENGTH)
                fields = {"start": start, "end": start + SPAN_LENGTH,
                          "exact": body[start:start + SPAN_LENGTH]}  # fmt: skip
                n += 1
                if self.bare:
                    fields["article"] = pk
                    self._send(conn, self._post(who, "/bench/bare-insert/", fields))
                    continue
                kind = n % 10
                if kind == 9:
                    fields["visibility"] = "private"
                elif kind == 8 and index < 10:
                    fields.update(visibility="team", team=self.team_id)
                else:
                    fields["visibility"] = "public"
                # As the reader's Highlight button sends it: answered 201 with the claim's id.
                request = self._post(who, f"/articles/{pk}/claims/", fields, MARK_HEADERS)
                body = self._send(conn, request, ok=(201,))
                if body is None:
                    continue
                claim = str(json.loads(body).get("claim", ""))
                if not claim.isdigit():
                    continue
                if previous is not None and previous[1] != art:
                    link = {"claim": claim, "other": previous[0], "relation": RELATIONS[n % 3]}
                    self._send(conn, self._post(who, "/links/", link))
                previous = (int(claim), art)
                if self.think:
                    time.sleep(self.think)  # a person reading before the next highlight
        finally:
            conn.close()


# --- listeners ----------------------------------------------------------------------------------


def _stream_loop(port: int, sessions: list[dict | None], path: str, conn) -> None:
    """In a child process: open one SSE stream per session, read them all with one selector,
    and record (event id, wall time read) per stream until the parent says stop.

    A separate process keeps the listeners' reading off the writers' GIL, so the delays measured
    are the server's, not this client's."""
    import selectors

    sel = selectors.DefaultSelector()
    state = []
    for index, who in enumerate(sessions):
        sock = socket.create_connection((harness.HOST, port), timeout=120)
        cookie = (
            f"Cookie: sessionid={who['session']}; csrftoken={who['csrf']}\r\n" if who else ""
        )
        sock.sendall(
            f"GET {path} HTTP/1.1\r\nHost: {harness.HOST}:{port}\r\n"
            f"Accept: text/event-stream\r\n{cookie}\r\n".encode()
        )
        sock.setblocking(False)
        entry = {"sock": sock, "buffer": b"", "id": None, "ready": False, "received": {},
                 "errors": []}  # fmt: skip
        state.append(entry)
        sel.register(sock, selectors.EVENT_READ, index)
    announced = False
    while True:
        if conn.poll():
            conn.recv()
            break
        for key, _mask in sel.select(timeout=0.05):
            entry = state[key.data]
            try:
                chunk = entry["sock"].recv(262144)
            except BlockingIOError:
                continue
            except OSError as exc:
                entry["errors"].append(repr(exc))
                sel.unregister(key.fileobj)
                continue
            now = time.time()
            if not chunk:
                entry["errors"].append("stream closed by the server")
                sel.unregister(key.fileobj)
                continue
            *lines, entry["buffer"] = (entry["buffer"] + chunk).split(b"\n")
            for raw in lines:
                line = raw.rstrip(b"\r")
                if line.startswith(b"id: "):
                    entry["id"] = int(line[4:])
                elif line.startswith(b"event: ready"):
                    entry["ready"] = True
                elif line.startswith(b"data: ") and entry["id"] is not None:
                    entry["received"].setdefault(entry["id"], now)
                    entry["id"] = None
        if not announced and all(e["ready"] for e in state):
            conn.send("ready")
            announced = True
    for entry in state:
        entry["sock"].close()
    conn.send([{"received": e["received"], "errors": e["errors"]} for e in state])


class Streams:
    """``len(sessions)`` live streams held by a child process (see ``_stream_loop``)."""

    def __init__(self, port: int, sessions: list[dict | None], path: str, timeout: float = 120):
        import multiprocessing

        ctx = multiprocessing.get_context("fork")
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_stream_loop, args=(port, sessions, path, child))
        self.process.start()
        if not self.conn.poll(timeout) or self.conn.recv() != "ready":
            self.process.kill()
            raise SystemExit(f"{len(sessions)} streams did not all open within {timeout} s")
        self.results: list[dict] = []

    def stop(self) -> list[dict]:
        self.conn.send("stop")
        self.results = self.conn.recv()
        self.process.join(10)
        return self.results


def rss_kib(server: harness.Server) -> int:
    """Resident memory of the server process and its children, in KiB."""
    total = 0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
        pid, ppid = fields.get("Pid", "").strip(), fields.get("PPid", "").strip()
        if str(server.process.pid) in (pid, ppid):
            total += int(fields.get("VmRSS", "0 kB").split()[0])
    return total


# --- analysis -----------------------------------------------------------------------------------


def delivery(data: dict, listeners: list[dict], first_id: int) -> dict:
    """Compare what each listener got with what it may see, from the event table."""
    from activity.models import Event

    events = list(
        Event.objects.filter(story_id=data["story_id"], id__gt=first_id).values(
            "id", "visibility", "team_id", "created_at"
        )
    )
    created = {e["id"]: e["created_at"].timestamp() for e in events}
    expected_total = missing = leaked = 0
    delays: list[float] = []
    for listener, user_id in zip(listeners, data["listener_ids"], strict=True):
        in_team = user_id in data["team_listener_ids"]
        may_see = {
            e["id"] for e in events
            if e["visibility"] == "public" or (e["visibility"] == "team" and in_team)
        }  # fmt: skip
        got = {i for i in listener["received"] if i in created}
        expected_total += len(may_see)
        missing += len(may_see - got)
        leaked += len(got - may_see)
        delays.extend(listener["received"][i] - created[i] for i in got & may_see)
    delays.sort()
    by_kind: dict[str, int] = {}
    for e in events:
        by_kind[e["visibility"]] = by_kind.get(e["visibility"], 0) + 1
    return {
        "events": len(events),
        "events_by_visibility": by_kind,
        "deliveries_expected": expected_total,
        "deliveries_missing": missing,
        "deliveries_to_listeners_who_may_not_see": leaked,
        "delay_p50_ms": round(harness.percentile(delays, 0.50) * 1000, 1) if delays else None,
        "delay_p95_ms": round(harness.percentile(delays, 0.95) * 1000, 1) if delays else None,
        "delay_p99_ms": round(harness.percentile(delays, 0.99) * 1000, 1) if delays else None,
        "delay_max_ms": round(delays[-1] * 1000, 1) if delays else None,
    }


def summary(writers: Writers, seconds: float) -> dict:
    lat = sorted(writers.latencies)
    return {
        "seconds": round(seconds, 1),
        "writes": writers.writes,
        "writes_per_s": round(writers.writes / seconds, 1),
        "p50_ms": round(harness.percentile(lat, 0.5) * 1000, 1) if lat else None,
        "p95_ms": round(harness.percentile(lat, 0.95) * 1000, 1) if lat else None,
        "errors": len(writers.errors),
        "error_examples": writers.errors[:3],
        "server_cpu_ms_per_write": round(1000 * writers.server_cpu_s / writers.writes, 1)
        if getattr(writers, "server_cpu_s", None) and writers.writes
        else None,
    }


def last_event_id(story_id: int) -> int:
    from activity.models import Event

    return Event.objects.filter(story_id=story_id).order_by("-id").values_list("id", flat=True).first() or 0


def inject(data: dict, *, rate: float, seconds: float) -> int:
    """Record public events on the story at ``rate`` per second, each in its own transaction."""
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from activity.services import record_event
    from articles.models import Article

    actor = get_user_model().objects.get(username=WRITER.format(0))
    article = Article.objects.get(pk=data["articles"][0][0])
    n, start = 0, time.perf_counter()
    while (now := time.perf_counter()) < start + seconds:
        if n < (now - start) * rate:
            with transaction.atomic():
                record_event(actor=actor, verb="updated", obj=article, story=data["story_id"],
                             visibility="public", object_type="bench")  # fmt: skip
            n += 1
        else:
            time.sleep(0.002)
    return n


def fan_out(server: harness.Server, data: dict, *, rate: float, seconds: float, listeners: int):
    """Server CPU per event with no listener and with ``listeners`` streams."""
    out = {"rate_per_s": rate}
    for count in (0, listeners):
        first_id = last_event_id(data["story_id"])
        path = f"/stories/{STORY}/live/?after={first_id}"
        streams = Streams(server.port, data["listeners"][:count], path) if count else None
        time.sleep(1)
        before = server.cpu_seconds()
        events = inject(data, rate=rate, seconds=seconds)
        time.sleep(1)
        cpu = server.cpu_seconds() - before
        if streams:
            got = streams.stop()
            # Only the injected events (a resume also resends the last few seconds' events).
            delivered = sum(len([i for i in r["received"] if i > first_id]) for r in got)
            out["deliveries"] = delivered
            out["deliveries_expected"] = events * count
        out[f"server_cpu_ms_per_event_{count}_listeners"] = round(1000 * cpu / events, 2)
    extra = out[f"server_cpu_ms_per_event_{listeners}_listeners"] - out["server_cpu_ms_per_event_0_listeners"]
    out["server_cpu_us_per_delivery"] = round(1000 * extra / listeners, 1)
    return out


# --- main ---------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--writers", type=int, default=20)
    parser.add_argument("--listeners", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--baseline-duration", type=float, default=15)
    parser.add_argument("--idle-streams", type=int, default=200)
    parser.add_argument(
        "--think-ms", type=float, default=0,
        help="pause of each annotator between actions (0: as fast as the server answers)",
    )  # fmt: skip
    parser.add_argument("--server-workers", type=int, default=1)
    parser.add_argument("--fan-out-rate", type=float, default=20, help="events/s in the fan-out phase")
    parser.add_argument("--database", default=DATABASE, help="benchmark database (parallax_bench_*)")
    parser.add_argument("--fresh-db", action="store_true")
    args = parser.parse_args(argv)

    result: dict = {"machine": harness.machine(), "args": vars(args)}
    with harness.django_site(database=args.database, fresh_db=args.fresh_db) as env:
        # Streams hold no database connection between events (see activity/views.py), but the
        # writers do while they write: room for them all.
        env["DB_POOL_MAX"] = str(max(20, args.writers + 10))
        harness.manage("load_demo", "--no-progress", env=env, quiet=True)
        claims_bench.django_setup(env)
        data = prepare(writers=args.writers, listeners=args.listeners)
        server = harness.Server(env)
        if args.server_workers != 1:
            server.command[server.command.index("--workers") + 1] = str(args.server_workers)
        with server:
            stream_path = lambda: f"/stories/{STORY}/live/?after={last_event_id(data['story_id'])}"  # noqa: E731

            # 1. Memory with idle streams, on a server that has served a little of everything.
            warm = Streams(server.port, data["listeners"][:5], stream_path())
            Writers(server.port, data, think=0).run(3)
            warm.stop()
            reset_story(data["story_id"])
            time.sleep(1)
            before = rss_kib(server)
            who = [data["listeners"][i % len(data["listeners"])] for i in range(args.idle_streams)]
            idle = Streams(server.port, who, stream_path())
            time.sleep(2)
            during = rss_kib(server)
            idle_results = idle.stop()
            result["memory"] = {
                "idle_streams": args.idle_streams,
                "rss_before_mib": round(before / 1024, 1),
                "rss_with_streams_mib": round(during / 1024, 1),
                "per_stream_kib": round((during - before) / args.idle_streams, 1),
                "stream_errors": sum(len(r["errors"]) for r in idle_results),
            }
            time.sleep(1)

            # 2. Fan-out cost: server CPU per event with and without listeners, events written
            # from here at a steady rate (no HTTP writes, so only the live path costs).
            result["fan_out"] = fan_out(server, data, rate=args.fan_out_rate, seconds=10,
                                        listeners=args.listeners)  # fmt: skip
            reset_story(data["story_id"])

            # 3. Baseline: one INSERT per request through the same stack.
            harness.log(f"baseline: {args.writers} writers on /bench/bare-insert/")
            bare = Writers(server.port, data, bare=True)
            result["bare_insert"] = summary(bare, bare.run(args.baseline_duration, server))
            reset_story(data["story_id"])

            # 3. The real writes, nobody listening.
            harness.log(f"writes alone: {args.writers} writers, {args.baseline_duration:.0f} s")
            alone = Writers(server.port, data, think=args.think_ms / 1000)
            result["writes_alone"] = summary(alone, alone.run(args.baseline_duration, server))
            reset_story(data["story_id"])

            # 4. The live session.
            first_id = last_event_id(data["story_id"])
            harness.log(
                f"live: {args.listeners} listeners, {args.writers} writers, {args.duration:.0f} s"
            )
            listeners = Streams(server.port, data["listeners"], f"/stories/{STORY}/live/?after={first_id}")
            live = Writers(server.port, data, think=args.think_ms / 1000)
            seconds = live.run(args.duration, server)
            time.sleep(3)  # let the last events arrive
            got = listeners.stop()
            result["live"] = summary(live, seconds) | delivery(data, got, first_id)
            result["live"]["listener_errors"] = sum(len(r["errors"]) for r in got)
            result["ratio_live_writes_to_bare"] = round(
                result["live"]["writes_per_s"] / result["bare_insert"]["writes_per_s"], 3
            )
            result["ratio_alone_writes_to_bare"] = round(
                result["writes_alone"]["writes_per_s"] / result["bare_insert"]["writes_per_s"], 3
            )
    name = "live" if not args.think_ms else f"live-think{int(args.think_ms)}"
    name += "" if args.server_workers == 1 else f"-w{args.server_workers}"
    path = harness.save(name, result)
    harness.log(f"saved {path}")
    print(report(result))
    return result


def report(r: dict) -> str:
    b, a, lv, m, f = r["bare_insert"], r["writes_alone"], r["live"], r["memory"], r["fan_out"]
    with_listeners = f"server_cpu_ms_per_event_{r['args']['listeners']}_listeners"
    rows = [
        "| Phase | Writes/s | p50 / p95 write (ms) | Server CPU ms / write | Errors |",
        "|---|---:|---:|---:|---:|",
        f"| `POST /bench/bare-insert/` (one INSERT; baseline) | {b['writes_per_s']} | {b['p50_ms']} / {b['p95_ms']} | {b['server_cpu_ms_per_write']} | {b['errors']} |",
        f"| claims + links, nobody listening | {a['writes_per_s']} | {a['p50_ms']} / {a['p95_ms']} | {a['server_cpu_ms_per_write']} | {a['errors']} |",
        f"| claims + links, {r['args']['listeners']} live listeners (think {r['args']['think_ms']:.0f} ms, {r['args']['server_workers']} worker(s)) | {lv['writes_per_s']} | {lv['p50_ms']} / {lv['p95_ms']} | {lv['server_cpu_ms_per_write']} | {lv['errors']} |",
        "",
        f"- Live / bare-INSERT throughput: **{r['ratio_live_writes_to_bare']}×** "
        f"(writes alone / bare: {r['ratio_alone_writes_to_bare']}×).",
        f"- Events: {lv['events']} ({json.dumps(lv['events_by_visibility'])}); deliveries expected "
        f"{lv['deliveries_expected']}, **missing {lv['deliveries_missing']}**, delivered to someone "
        f"who may not see them **{lv['deliveries_to_listeners_who_may_not_see']}**; listener errors "
        f"{lv['listener_errors']}.",
        f"- Event time (just before COMMIT) → read by the listener: p50 **{lv['delay_p50_ms']} ms**, "
        f"p95 **{lv['delay_p95_ms']} ms**, p99 {lv['delay_p99_ms']} ms, max {lv['delay_max_ms']} ms.",
        f"- Fan-out alone ({f['rate_per_s']:.0f} events/s written directly): server CPU "
        f"{f['server_cpu_ms_per_event_0_listeners']} ms per event with no listener, "
        f"{f[with_listeners]} ms with "
        f"{r['args']['listeners']} (**{f['server_cpu_us_per_delivery']} µs per delivered message**); "
        f"delivered {f['deliveries']} of {f['deliveries_expected']}.",
        f"- Server RSS: {m['rss_before_mib']} MiB → {m['rss_with_streams_mib']} MiB with "
        f"{m['idle_streams']} idle streams (**{m['per_stream_kib']} KiB per stream**; "
        f"stream errors {m['stream_errors']}).",
    ]
    return "\n".join(rows)


if __name__ == "__main__":
    main()
