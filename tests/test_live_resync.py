"""Issue 14: after the live hub loses its database connection and LISTENs again, every open
stream re-reads its backlog, so no event committed while nobody listened is lost.

Runs the server ``make run`` starts (the stream needs ASGI) against the test database, cuts
every server connection as a PostgreSQL restart would, and writes while the hub reconnects."""

from __future__ import annotations

import http.client
import threading
import time
from urllib.parse import urlsplit

import pytest
from django.db import connection

from activity.models import Event
from tests import factories
from tests.servers import one_url_server

pytestmark = pytest.mark.django_db(transaction=True)


class Stream(threading.Thread):
    """An SSE client that, like a browser, reconnects with Last-Event-ID when a response ends.

    It reads through ``response.readline()``, which decodes the chunked body and returns b"" at
    its end; the raw socket (``response.fp``) would hide the end of a stream the server closed
    (the connection stays open for keep-alive), and the client would wait for nothing."""

    def __init__(self, url: str, path: str) -> None:
        super().__init__(daemon=True)
        self.url, self.path = urlsplit(url), path
        self.ids: list[int] = []
        self.ready = threading.Event()
        self.stop = threading.Event()
        self.connects = 0

    def run(self) -> None:
        last = 0
        while not self.stop.is_set():
            try:
                conn = http.client.HTTPConnection(self.url.hostname, self.url.port, timeout=30)
                headers = {"Last-Event-ID": str(last)} if last else {}
                conn.request("GET", self.path, headers=headers)
                response = conn.getresponse()
                self.connects += 1
                event_id = None
                while not self.stop.is_set():
                    line = response.readline().decode()
                    if not line:
                        break
                    line = line.rstrip("\n")
                    if line.startswith("event: ready"):
                        self.ready.set()
                    elif line.startswith("id: "):
                        event_id = int(line[4:])
                    elif line == "" and event_id is not None:
                        self.ids.append(event_id)
                        last = max(last, event_id)
                        event_id = None
                conn.close()
            except (OSError, http.client.HTTPException):
                pass
            time.sleep(0.5)


def test_events_committed_while_the_hub_reconnects_are_delivered():
    story = factories.make_story(slug="resync")
    article = factories.make_article(story=story, body=" ".join(f"w{i}" for i in range(400)))
    author = factories.make_user()
    words = article.body.split(" ")
    with one_url_server() as url:
        stream = Stream(url, f"/stories/{story.slug}/live/?since={int(time.time()) - 5}")
        stream.start()
        assert stream.ready.wait(30)
        # A restart, as far as the server can tell: every connection of its cut, again and
        # again for 1.5 s, so the hub's reconnects fail and back off while people write.
        def cut() -> None:
            from django.db import connections

            until = time.monotonic() + 1.5
            with connections["default"].cursor() as cursor:
                while time.monotonic() < until:
                    cursor.execute(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE"
                        " datname = current_database() AND pid <> pg_backend_pid()"
                        " AND backend_type = 'client backend' AND pid <> %s",
                        [writer_pid],
                    )
                    time.sleep(0.05)
            connections["default"].close()

        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            writer_pid = cursor.fetchone()[0]
        cutter = threading.Thread(target=cut)
        cutter.start()
        at = 0
        deadline = time.monotonic() + 4
        while time.monotonic() < deadline:
            start = sum(len(w) + 1 for w in words[:at])
            factories.make_claim(article=article, author=author, start=start, end=start + len(words[at]))
            at += 1
            time.sleep(0.02)
        cutter.join()
        owed = set(Event.objects.filter(story=story).values_list("id", flat=True))
        assert len(owed) == at
        # Without the resync the missed events only came with some later reconnect, 30 s on;
        # with it they follow the hub's LISTEN (its backoff is at most 2 s).
        deadline = time.monotonic() + 12
        while not owed <= set(stream.ids) and time.monotonic() < deadline:
            time.sleep(0.2)
        stream.stop.set()
        assert sorted(owed - set(stream.ids)) == []
        assert len(stream.ids) == len(set(stream.ids))  # no event twice
