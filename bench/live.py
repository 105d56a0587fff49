"""Live team sessions benchmark (issue 4): writes while many people hold live streams.

    .venv/bin/python bench/live.py [--writers 20 --listeners 50 --duration 60 --idle-streams 200]
                                   [--database parallax_bench_live --stack split|make-run]

In the benchmark database (--database, default parallax_bench_live), DEBUG off, served as in
production (--stack split): writes on the WSGI server, the live streams on the ASGI server, one
worker each (--server-workers); or all through ``make run``'s one server (--stack make-run).
The writers are wrk connections, one per annotator (bench/wrk/live.lua); the listeners are read
by a child process (below), which records when each event's bytes arrive.

  1. Baseline: --writers clients POST ``/bench/bare-insert/`` (config/bench_urls.py: the same
     stack, login and CSRF, then one INSERT) for --baseline-duration seconds.
  2. Writes alone: the same clients annotate a copy of the demo story (``bench-live``) through
     the real actions: each request highlights a new claim (``POST /articles/<pk>/claims/`` as the
     Highlight button sends it, aimed at its column: answered with that column's text redrawn
     and the claim's id in a header), and every
     claim after a writer's first also links it to that writer's previous claim in another
     column (``POST /links/``).
     Visibility rotates: 8 in 10 claims public, 1 private, 1 for a team (writers 0-9 and
     listeners 0-24 are in it; other writers' "team" claims are public).
  3. Live session: the same writes for --duration seconds while --listeners people (each logged
     in as their own user) hold ``GET /stories/bench-live/live/`` streams.
     Reported: errors, whether every event reached every listener that may see it (and that
     none reached one who may not), and the delay from the event's ``created_at`` (taken inside
     the writing transaction, just before COMMIT, so the delay is an upper bound of
     commit→delivery) to the moment the listener's socket read it.
  4. Memory: the stream server's RSS before and with --idle-streams idle streams open.

Writes bench/results/live.json and prints a markdown table.
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import claims as claims_bench  # noqa: E402  (story_copy, users, sessions)
import common  # noqa: E402
import wrk  # noqa: E402
from common import _with_workers  # noqa: E402

DATABASE = "parallax_bench_live"
STORY = "bench-live"
WRITER = "bench-live-writer-{:02d}"
LISTENER = "bench-live-listener-{:02d}"
TEAM = "Bench live team"
SPAN_STEP = 7
SPAN_LENGTH = 30
RELATIONS = ["agrees", "contradicts", "qualifies"]


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


def writer_requests(data: dict, *, bare: bool, seconds: float) -> wrk.Requests:
    """Each writer's claims for one phase (bench/wrk/live.lua sends them and the links).

    Writer ``i``'s ``n``-th claim goes to column ``(n + i) % columns``, on a span that moves on by
    SPAN_STEP each round of the columns. Visibility rotates: 8 in 10 public, 1 private, 1 for the
    team (writers 0-9, who are in it; the others' are public). Room for 25 claims per writer per
    second; the story is reset before each phase, so every phase may send the same spans."""
    articles = data["articles"]
    per_connection = []
    for index, who in enumerate(data["writers"]):
        headers = wrk.session_headers(who, referer=f"http://{common.HOST}/stories/{STORY}/")
        items = []
        for n in range(int(seconds * 25) + 100):
            art = (n + index) % len(articles)
            pk, body = articles[art]
            start = (index * 101 + (n // len(articles)) * SPAN_STEP) % (len(body) - SPAN_LENGTH)
            fields = {"start": start, "end": start + SPAN_LENGTH,
                      "exact": body[start:start + SPAN_LENGTH]}  # fmt: skip
            if bare:
                items.append(("POST", "/bench/bare-insert/", {**fields, "article": pk}, art, "-"))
                continue
            kind = (n + 1) % 10
            if kind == 9:
                fields["visibility"] = "private"
            elif kind == 8 and index < 10:
                fields.update(visibility="team", team=data["team_id"])
            else:
                fields["visibility"] = "public"
            items.append(("POST", f"/articles/{pk}/claims/", fields, art, RELATIONS[(n + 1) % 3]))
        per_connection.append((headers, items))
    return wrk.requests_write(per_connection, warmup=0)


def write(stack, data: dict, *, seconds: float, bare: bool = False, think_ms: float = 0) -> dict:
    """The writers, flat out or pausing ``think_ms`` before each claim, for ``seconds``: wrk with
    one connection per writer (bench/wrk/live.lua) against the pages server."""
    requests = writer_requests(data, bare=bare, seconds=seconds)
    try:
        phase = wrk.load(
            stack, "writes", concurrency=len(data["writers"]), duration=seconds, warmup=0,
            requests=requests, lua="live.lua",
            lua_args=[str(round(think_ms)), "no-links" if bare else "links"],
            label="bare-insert" if bare else "claims + links",
        )  # fmt: skip
    finally:
        requests.remove()
    return summary(phase)


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
        sock = socket.create_connection((common.HOST, port), timeout=120)
        cookie = (
            f"Cookie: sessionid={who['session']}; csrftoken={who['csrf']}\r\n" if who else ""
        )
        sock.sendall(
            f"GET {path} HTTP/1.1\r\nHost: {common.HOST}:{port}\r\n"
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
        "delay_p50_ms": round(common.percentile(delays, 0.50) * 1000, 1) if delays else None,
        "delay_p95_ms": round(common.percentile(delays, 0.95) * 1000, 1) if delays else None,
        "delay_p99_ms": round(common.percentile(delays, 0.99) * 1000, 1) if delays else None,
        "delay_max_ms": round(delays[-1] * 1000, 1) if delays else None,
    }


def summary(phase: wrk.Phase) -> dict:
    return {
        "seconds": round(phase.seconds, 1),
        "writes": phase.requests,
        "writes_per_s": round(phase.rps, 1),
        "p50_ms": round(phase.p50_ms, 1),
        "p95_ms": round(phase.p95_ms, 1),
        "errors": phase.errors,
        "error_examples": phase.error_detail,
        "server_cpu_ms_per_write": round(1000 * phase.server_cpu * phase.seconds / phase.requests, 1)
        if phase.requests
        else None,
    }


def quiet_events(story_id: int, *, quiet: float, limit: float) -> float:
    """Wait until the story's last event id has not changed for ``quiet`` seconds (at most
    ``limit`` seconds); how long that took."""
    started = time.monotonic()
    last, since = last_event_id(story_id), time.monotonic()
    while time.monotonic() - since < quiet and time.monotonic() - started < limit:
        time.sleep(0.25)
        now = last_event_id(story_id)
        if now != last:
            last, since = now, time.monotonic()
    return round(time.monotonic() - started, 1)


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


def fan_out(server: common.Server, data: dict, *, rate: float, seconds: float, listeners: int):
    """CPU of the live-stream server per event with no listener and with ``listeners`` streams."""
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
    parser.add_argument("--server-workers", type=int, default=1, help="processes per server")
    parser.add_argument(
        "--stack", choices=["split", "make-run"], default="split",
        help="split: writes on the WSGI server, streams on the ASGI server, as in production;"
        " make-run: both through make run's one server (config/serve.py)",
    )  # fmt: skip
    parser.add_argument("--fan-out-rate", type=float, default=20, help="events/s in the fan-out phase")
    common.database_argument(parser, DATABASE)
    args = parser.parse_args(argv)

    result: dict = {"machine": common.machine(), "args": vars(args)}
    with common.django_site(database=args.database, fresh_db=args.fresh_db) as env:
        # Streams hold no database connection between events (see reader/live.py), but the
        # writers do while they write: room for them all.
        env["DB_POOL_MAX"] = str(max(20, args.writers + 10))
        common.manage("load_demo", "--no-progress", "--empty", env=env, quiet=True)
        common.django_setup(env)
        data = prepare(writers=args.writers, listeners=args.listeners)
        if args.stack == "split":
            stack = common.Split(env, workers=args.server_workers)
        else:
            stack = common.OneServer(common.Server(env, kind="make-run", command=_with_workers(
                common.SERVERS["make-run"]("{port}"), args.server_workers)))  # fmt: skip
        with stack:
            result["servers"] = stack.describe()
            live_port = stack.live.port
            stream_path = lambda: f"/stories/{STORY}/live/?after={last_event_id(data['story_id'])}"  # noqa: E731

            # 1. Memory with idle streams, on a server that has served a little of everything.
            warm = Streams(live_port, data["listeners"][:5], stream_path())
            write(stack, data, seconds=3)
            warm.stop()
            reset_story(data["story_id"])
            time.sleep(1)
            before = stack.live.rss_kib()
            who = [data["listeners"][i % len(data["listeners"])] for i in range(args.idle_streams)]
            idle = Streams(live_port, who, stream_path())
            time.sleep(2)
            during = stack.live.rss_kib()
            idle_results = idle.stop()
            result["memory"] = {
                "idle_streams": args.idle_streams,
                "rss_before_mib": round(before / 1024, 1),
                "rss_with_streams_mib": round(during / 1024, 1),
                "per_stream_kib": round((during - before) / args.idle_streams, 1),
                "stream_errors": sum(len(r["errors"]) for r in idle_results),
            }
            time.sleep(1)

            # 2. Fan-out cost: CPU of the stream server per event with and without listeners,
            # events written from here at a steady rate (no HTTP writes, so only the live path costs).
            result["fan_out"] = fan_out(stack.live, data, rate=args.fan_out_rate, seconds=10,
                                        listeners=args.listeners)  # fmt: skip
            reset_story(data["story_id"])

            # 3. Baseline: one INSERT per request through the same stack.
            common.log(f"baseline: {args.writers} writers on /bench/bare-insert/")
            result["bare_insert"] = write(stack, data, seconds=args.baseline_duration, bare=True)
            reset_story(data["story_id"])

            # 4. The real writes, nobody listening.
            common.log(f"writes alone: {args.writers} writers, {args.baseline_duration:.0f} s")
            result["writes_alone"] = write(stack, data, seconds=args.baseline_duration,
                                           think_ms=args.think_ms)  # fmt: skip
            quiet_events(data["story_id"], quiet=2.0, limit=120.0)  # requests still in flight
            reset_story(data["story_id"])

            # 5. The live session.
            first_id = last_event_id(data["story_id"])
            common.log(
                f"live: {args.listeners} listeners, {args.writers} writers, {args.duration:.0f} s"
            )
            listeners = Streams(live_port, data["listeners"], f"/stories/{STORY}/live/?after={first_id}")
            result["live"] = write(stack, data, seconds=args.duration, think_ms=args.think_ms)
            # wrk stops on the clock with requests still in flight; the server finishes them
            # (under load, seconds later). Wait until no new event has been written for 2 s, so
            # that every event written is owed to the listeners, then let the last ones arrive.
            settled = quiet_events(data["story_id"], quiet=2.0, limit=120.0)
            result["live"]["seconds_until_writes_settled"] = settled
            time.sleep(3)
            got = listeners.stop()
            result["live"] |= delivery(data, got, first_id)
            result["live"]["listener_errors"] = sum(len(r["errors"]) for r in got)
            result["ratio_live_writes_to_bare"] = round(
                result["live"]["writes_per_s"] / result["bare_insert"]["writes_per_s"], 3
            )
            result["ratio_alone_writes_to_bare"] = round(
                result["writes_alone"]["writes_per_s"] / result["bare_insert"]["writes_per_s"], 3
            )
    name = "live" if not args.think_ms else f"live-think{int(args.think_ms)}"
    name += "" if args.server_workers == 1 else f"-w{args.server_workers}"
    name += "" if args.stack == "split" else f"-{args.stack}"
    common.save(name, result)
    print(report(result))
    return result


def report(r: dict) -> str:
    b, a, lv, m, f = r["bare_insert"], r["writes_alone"], r["live"], r["memory"], r["fan_out"]
    with_listeners = f"server_cpu_ms_per_event_{r['args']['listeners']}_listeners"
    rows = [
        f"Servers: {r.get('servers', '?')}",
        "",
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
