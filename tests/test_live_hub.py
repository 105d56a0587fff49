"""The process's live listener (activity.live.Hub) against the test database: a stream that
subscribed while the hub was still connecting is told to re-read its backlog once the hub
LISTENs, so an event committed between the stream's backlog and the first LISTEN is not lost."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from activity import live

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_stream_subscribed_before_the_first_listen_is_told_to_resync():
    async def scenario() -> list[str]:
        hub = live.Hub()
        sub = live.Subscriber(story_id=1, user_id=None)
        hub.subscribe(sub)  # starts the hub, which connects in the background
        assert not hub.connected.is_set()
        try:
            async with asyncio.timeout(60):
                await hub.connected.wait()
                kind, _ = await sub.queue.get()
        finally:
            hub._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await hub._task
        return [kind]

    assert asyncio.run(scenario()) == ["resync"]
