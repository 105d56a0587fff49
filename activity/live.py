"""Live events: one Postgres ``LISTEN`` per server process, fanned out to every open stream.

Writers ``pg_notify('parallax_events', '<story>:<event>')`` inside their transaction (see
``services.record_event``), so a notification arrives only after the commit. The hub reads each
batch of notified events once (one query, on its own connection) and hands every subscriber of
the story the events it may see; visibility is checked in memory against the subscriber's user
and team ids, which the stream refreshes on every heartbeat.

Nothing here is shared between processes: each app server listens for itself, which is what lets
several of them run behind a load balancer with Postgres as the only broker.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import psycopg
from django.conf import settings
from django.contrib.auth import get_user_model

from .models import Event, Presence
from .services import CHANNEL

log = logging.getLogger(__name__)

#: Seconds a presence row counts without a heartbeat (the stream beats every HEARTBEAT seconds).
PRESENCE_TTL = 45
HEARTBEAT = 15


@dataclass(eq=False)
class Subscriber:
    """One open stream: its story, the viewer, what the viewer may see (``may_see(row)``, set by
    the stream from the permissions rule book) and a bounded queue of messages to send."""

    story_id: int
    user_id: int | None
    team_ids: frozenset[int] = frozenset()
    may_see: Callable[[dict], bool] = lambda row: False  # nothing until the stream says
    queue: asyncio.Queue = field(default_factory=lambda: asyncio.Queue(maxsize=2000))
    overflowed: bool = False

    def put(self, message: tuple[str, dict]) -> None:
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:
            # A stream that cannot keep up is closed; the browser reconnects with Last-Event-ID
            # and catches up from the event table, so nothing is lost.
            self.overflowed = True


def conninfo() -> str:
    db = settings.DATABASES["default"]
    return psycopg.conninfo.make_conninfo(
        dbname=db["NAME"],
        user=db.get("USER") or None,
        password=db.get("PASSWORD") or None,
        host=db.get("HOST") or None,
        port=str(db.get("PORT") or "") or None,
    )


def _event_sql() -> str:
    users = get_user_model()._meta.db_table
    return (
        "SELECT e.id, e.story_id, e.verb, e.object_type, e.object_id, e.visibility, e.owner_id,"
        " e.team_id, u.username AS actor, e.actor_id, e.after, e.before"
        f" FROM {Event._meta.db_table} e LEFT JOIN {users} u ON u.id = e.actor_id"
        " WHERE e.id = ANY(%s) ORDER BY e.id"
    )


def _presence_sql() -> str:
    users = get_user_model()._meta.db_table
    return (
        "SELECT p.user_id, u.username, p.article_id"
        f" FROM {Presence._meta.db_table} p JOIN {users} u ON u.id = p.user_id"
        f" WHERE p.story_id = %s AND p.seen_at > now() - interval '{PRESENCE_TTL} seconds'"
        " ORDER BY u.username"
    )


def event_message(row: dict) -> dict:
    """What a stream sends about an event: who did what to which object (no content; the page
    refetches its fragment, which applies visibility itself)."""
    snap = row.get("after") or row.get("before") or {}
    return {
        "id": row["id"],
        "verb": row["verb"],
        "type": row["object_type"],
        "object_id": row["object_id"],
        "actor": row.get("actor") or "",
        "actor_id": row.get("actor_id"),
        "article": snap.get("article_id"),
    }


class Hub:
    """The process's listener and its subscribers, per story."""

    def __init__(self) -> None:
        self.subscribers: dict[int, set[Subscriber]] = {}
        self._task: asyncio.Task | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.connected = asyncio.Event()

    def subscribe(self, sub: Subscriber) -> None:
        self._ensure_running()
        self.subscribers.setdefault(sub.story_id, set()).add(sub)

    def unsubscribe(self, sub: Subscriber) -> None:
        subs = self.subscribers.get(sub.story_id)
        if subs is not None:
            subs.discard(sub)
            if not subs:
                del self.subscribers[sub.story_id]

    def _ensure_running(self) -> None:
        loop = asyncio.get_running_loop()
        if self._task is None or self._task.done() or self._loop is not loop:
            self.connected = asyncio.Event()
            self._loop = loop
            self._task = loop.create_task(self._run_forever())

    async def _run_forever(self) -> None:
        delay = 0.5
        while True:
            try:
                await self._listen()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # the database went away: retry quickly, then back off
                log.warning("live listener lost its connection (%s); retrying", error)
                self.connected.clear()
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2)

    async def _listen(self) -> None:
        info = conninfo()
        async with (
            await psycopg.AsyncConnection.connect(info, autocommit=True) as listen_conn,
            await psycopg.AsyncConnection.connect(info, autocommit=True) as query_conn,
        ):
            await listen_conn.execute(f"LISTEN {CHANNEL}")
            # Events committed while nobody listened were never notified: every open stream
            # re-reads its backlog from the last id it sent (``resync``), now that anything
            # committed from here on will be notified. After a lost connection, and on the
            # first one too: a stream that subscribed while the hub was still connecting may
            # have read its backlog before this LISTEN.
            for subs in list(self.subscribers.values()):
                for sub in list(subs):
                    sub.put(("resync", {}))
            self.connected.set()
            pending: asyncio.Queue[str] = asyncio.Queue()
            dispatcher = asyncio.create_task(self._dispatch(pending, query_conn))
            try:
                async for notice in listen_conn.notifies():
                    pending.put_nowait(notice.payload)
                    if dispatcher.done():
                        dispatcher.result()  # re-raise its error
            finally:
                dispatcher.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await dispatcher

    async def _dispatch(self, pending: asyncio.Queue, conn: psycopg.AsyncConnection) -> None:
        """Drain notifications in batches: one query per batch, whatever the number of streams."""
        event_sql, presence_sql = _event_sql(), _presence_sql()
        while True:
            payloads = [await pending.get()]
            while not pending.empty():
                payloads.append(pending.get_nowait())
            event_ids: list[int] = []
            presence_stories: set[int] = set()
            for payload in payloads:
                story, _, what = payload.partition(":")
                if not story.isdigit() or int(story) not in self.subscribers:
                    continue
                if what == "p":
                    presence_stories.add(int(story))
                elif what.isdigit():
                    event_ids.append(int(what))
            if event_ids:
                async with conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
                    await cur.execute(event_sql, [event_ids])
                    rows = await cur.fetchall()
                for row in rows:
                    message = event_message(row)
                    # Serialised once per event, not once per stream.
                    message["sse"] = sse("event", message, event_id=message["id"])
                    for sub in list(self.subscribers.get(row["story_id"], ())):
                        if sub.may_see(row):
                            sub.put(("event", message))
            for story_id in presence_stories:
                async with conn.cursor() as cur:
                    await cur.execute(presence_sql, [story_id])
                    people = [
                        {"user_id": uid, "name": name, "article": article}
                        for uid, name, article in await cur.fetchall()
                    ]
                for sub in list(self.subscribers.get(story_id, ())):
                    if sub.user_id is not None:  # who reads what is for people logged in
                        sub.put(("presence", {"people": people}))


hub = Hub()


def sse(kind: str, data: dict, *, event_id: int | None = None) -> str:
    """One Server-Sent Events message."""
    lines = []
    if event_id is not None:
        lines.append(f"id: {event_id}")
    if kind != "message":
        lines.append(f"event: {kind}")
    lines.append("data: " + json.dumps(data, separators=(",", ":")))
    return "\n".join(lines) + "\n\n"
