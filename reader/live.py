"""The reader's live side: the story's stream of events (Server-Sent Events), who is reading
(presence), and the story's activity feed. The event log and the process's listener live in
``activity``; what each viewer may see of them is decided here with ``annotations.permissions``."""

from __future__ import annotations

import asyncio
import contextlib
import datetime

from asgiref.sync import sync_to_async
from django.contrib.auth import get_user
from django.contrib.auth.decorators import login_required
from django.core.handlers.asgi import ASGIRequest
from django.db import connections
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST, require_safe

from activity import live, services
from activity.models import Event
from annotations import permissions
from articles import selectors as article_selectors
from articles.models import Article, Story
from textkernel.params import BIGINT_MAX, parse_id, parse_int

#: On resume, events committed up to this long before the last one seen are sent again: ids are
#: handed out at INSERT but become visible at COMMIT, so a smaller id can commit just after a
#: larger one. The browser drops the ids it already has.
RESUME_OVERLAP = datetime.timedelta(seconds=5)
#: Seconds a new stream waits for the process's listener to be connected before it reads its
#: backlog and says it is ready.
HUB_WAIT = 5
#: Events on the activity page.
FEED_LENGTH = 50


def db_call(function):
    """``function`` run in a worker thread that hands its database connection back to the pool
    as soon as it returns. A stream lives for minutes: holding a pooled connection for its whole
    life would cap the number of open streams at the pool size."""

    def run(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        finally:
            connections.close_all()

    return sync_to_async(run)


#: The latest ``?since=`` (Unix seconds) a page can carry: far past any page's lifetime, well
#: inside what a datetime holds.
SINCE_MAX = 2**33


class BadParameter(ValueError):
    """A stream parameter that is present but not a number in range: 400."""


def _param(request, name: str, *, maximum: int = BIGINT_MAX) -> int | None:
    value = request.GET.get(name)
    if value in (None, ""):
        return None
    number = parse_int(value, minimum=0, maximum=maximum)
    if number is None:
        raise BadParameter(name)
    return number


def _backlog(*, user, story: Story, last_id: int, since: datetime.datetime | None) -> list[dict]:
    """Visible events of ``story`` after ``last_id`` (plus the overlap before it), or, on a
    first connection, since the page was rendered (``since``), as messages."""
    last = Event.objects.filter(pk=last_id).values_list("created_at", flat=True).first()
    events = permissions.visible_events(user).filter(story=story)
    if not last_id:
        if since is None:
            return []
        events = events.filter(created_at__gte=since - RESUME_OVERLAP)
    elif last is not None:
        events = events.filter(id__gt=last_id) | events.filter(
            id__lte=last_id, created_at__gte=last - RESUME_OVERLAP
        )
    else:
        events = events.filter(id__gt=last_id)
    rows = events.values(
        "id", "verb", "object_type", "object_id", "actor_id", "actor__username", "after", "before"
    ).order_by("id")[:1000]
    return [live.event_message({**row, "actor": row["actor__username"]}) for row in rows]


def _team_ids(user) -> frozenset[int]:
    return permissions.team_ids(user)


def subscriber(*, story_id: int, user_id: int | None, team_ids: frozenset[int]) -> live.Subscriber:
    """A stream's subscription to the hub. The hub fans events out with the rule book's check,
    on the facts it read once per batch; the stream re-reads ``team_ids`` on every heartbeat, so
    joining or leaving a team shows within one."""
    sub = live.Subscriber(story_id=story_id, user_id=user_id, team_ids=team_ids)
    sub.may_see = lambda row: permissions.sees(
        visibility=row["visibility"], owner_id=row["owner_id"], team_id=row["team_id"],
        user_id=user_id, team_ids=sub.team_ids,
    )
    return sub


def _story_for_stream(slug: str) -> Story:
    return article_selectors.story_get(slug=slug)


@require_GET
async def story_stream(request: HttpRequest, slug: str) -> StreamingHttpResponse:
    """``text/event-stream`` of the story's events the viewer may see, and who is present.

    Resumes after ``Last-Event-ID`` (sent by the browser on reconnect) or ``?after=`` (the last
    event id the page was rendered with). A comment every 15 s keeps proxies from closing it.
    """
    story = await db_call(_story_for_stream)(slug)
    if not isinstance(request, ASGIRequest):
        # Under WSGI (runserver, the test live server) Django buffers an async iterator whole,
        # so an endless stream would never answer and would keep its thread forever. Say so;
        # the page stays usable and shows that it is not live.
        return HttpResponse(
            _("Live updates need the ASGI server (uvicorn)."),
            status=503, content_type="text/plain; charset=utf-8", headers={"Retry-After": "60"},
        )
    try:
        after = _param(request, "after")
        article_id = _param(request, "article")
        since = _param(request, "since", maximum=SINCE_MAX)
    except BadParameter as bad:
        return HttpResponse(
            _("The parameter “%(name)s” must be a whole number in range.") % {"name": bad},
            status=400, content_type="text/plain; charset=utf-8",
        )
    # The browser sends back the id it was given; anything else is ignored, not an error.
    last_id = parse_id(request.headers.get("Last-Event-ID")) or after or 0
    since = datetime.datetime.fromtimestamp(since, datetime.UTC) if since else None
    user = await db_call(get_user)(request)
    user_id = user.pk if user.is_authenticated else None

    sub = subscriber(story_id=story.pk, user_id=user_id, team_ids=await db_call(_team_ids)(user))
    # Subscribe before reading the backlog, so nothing falls between the two; repeats are
    # filtered out below by id.
    live.hub.subscribe(sub)
    # "ready" should mean listening: wait (a little) for the hub's LISTEN before the backlog is
    # read. If it takes longer, the hub's resync on connecting sends what the backlog missed.
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(HUB_WAIT):
            await live.hub.connected.wait()

    opened = timezone.now()
    touched = [opened]  # when this stream last marked the viewer present
    resumed = parse_id(request.headers.get("Last-Event-ID")) is not None

    async def stream():
        sent: set[int] = set()
        try:
            yield "retry: 2000\n\n"
            if user_id is not None:
                # A browser's own reconnect (Last-Event-ID) reuses the first URL, whose
                # ``article`` may be stale: keep the column it reported since.
                await db_call(_touch)(story, user, article_id, resumed)
                touched[0] = timezone.now()
            for message in await db_call(_backlog)(
                user=user, story=story, last_id=last_id, since=since
            ):
                sent.add(message["id"])
                yield live.sse("event", message, event_id=message["id"])
            yield live.sse("ready", {"after": last_id})
            while True:
                try:
                    async with asyncio.timeout(live.HEARTBEAT):  # no task per wait, unlike wait_for
                        kind, data = await sub.queue.get()
                except TimeoutError:
                    yield ": ping\n\n"
                    sub.team_ids = await db_call(_team_ids)(user)
                    if user_id is not None:
                        await db_call(_touch)(story, user, None, True)
                        touched[0] = timezone.now()
                    continue
                # Whatever else is already queued goes out in the same write.
                batch = [(kind, data)]
                while not sub.queue.empty():
                    batch.append(sub.queue.get_nowait())
                chunk = []
                for kind, data in batch:
                    if sub.overflowed or kind == "reconnect":
                        return  # the browser reconnects and resumes from the event table
                    if kind == "resync":
                        # The hub listens again after losing the database: send what was
                        # committed meanwhile (repeats are dropped by id, here and in live.js).
                        try:
                            missed = await db_call(_backlog)(
                                user=user, story=story, last_id=max(sent, default=last_id),
                                since=since or opened,
                            )
                        except Exception:
                            return  # the database went again: the browser reconnects
                        for message in missed:
                            if message["id"] not in sent:
                                sent.add(message["id"])
                                chunk.append(live.sse("event", message, event_id=message["id"]))
                        continue
                    if kind == "event":
                        if data["id"] in sent:
                            continue
                        sent.add(data["id"])
                        if len(sent) > 5000:
                            sent.clear()
                        chunk.append(data["sse"])
                    else:
                        chunk.append(live.sse(kind, data))
                if chunk:
                    yield "".join(chunk)
        finally:
            live.hub.unsubscribe(sub)
            if user_id is not None:
                with contextlib.suppress(Exception):
                    await db_call(services.presence_leave)(
                        story_id=story.pk, user_id=user_id, seen_before=touched[0]
                    )

    response = StreamingHttpResponse(stream(), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx: do not buffer the stream
    return response


def _touch(story, user, article_id, keep_article) -> None:
    services.presence_touch(
        story=story, user=user, article_id=article_id, keep_article=keep_article,
        quiet=keep_article,
    )


@require_POST
@login_required
def presence_update(request: HttpRequest, slug: str) -> HttpResponse:
    """The viewer now reads column ``article`` (an article of this story); 204."""
    story = article_selectors.story_get(slug=slug)
    article_id = parse_id(request.POST.get("article"))
    if article_id is not None and not Article.objects.filter(pk=article_id, story=story).exists():
        raise Http404(_("No such article in this story."))
    services.presence_touch(story=story, user=request.user, article_id=article_id)
    return HttpResponse(status=204)


@require_safe
def story_activity(request: HttpRequest, slug: str) -> HttpResponse:
    """Who did what and when in the story, newest first, only what the viewer may see."""
    story = article_selectors.story_get(slug=slug)
    events = list(
        permissions.visible_events(request.user)
        .filter(story=story)
        .select_related("actor", "team")
        .order_by("-id")[:FEED_LENGTH]
    )
    template = "reader/activity.html"
    if getattr(request, "htmx", False):
        template += "#feed"
    return render(request, template, {"story": story, "events": events})
