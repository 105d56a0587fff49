"""Writes to the event log. ``record_event`` runs inside the caller's transaction, so an event
exists exactly when the change it describes was committed, and listeners hear of it (through
``pg_notify``, which Postgres delivers only on commit) only then."""

from __future__ import annotations

import datetime
import decimal
import uuid
from collections.abc import Iterable

from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone

from .models import Event, Presence

#: The Postgres NOTIFY channel; payloads are ``"<story_id>:<event_id>"`` (``"<story_id>:p"`` for
#: a presence change). Every app server LISTENs on it (``activity/live.py``).
CHANNEL = "parallax_events"


def _json_value(value):
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [_json_value(v) for v in value]
    return value


def snapshot(obj: models.Model, fields: Iterable[str] | None = None) -> dict:
    """JSON-safe dict of a model instance's concrete fields (foreign keys as ``<name>_id``), or
    of just the attributes named in ``fields``."""
    names = fields if fields is not None else (f.attname for f in obj._meta.concrete_fields)
    return {name: _json_value(getattr(obj, name)) for name in names}


def notify(payload: str) -> None:
    """``pg_notify`` on the events channel; delivered when the current transaction commits."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_notify(%s, %s)", [CHANNEL, payload])


def new_event(
    *,
    actor,
    verb: str,
    obj: models.Model,
    story,
    before: dict | None = None,
    after: dict | None = None,
    visibility: str | None = None,
    owner=None,
    team=None,
    object_type: str | None = None,
) -> Event:
    """The (unsaved) event that ``record_event`` stores.

    ``visibility``/``owner``/``team`` default to ``obj.visibility``/``obj.author``/``obj.team``
    when the object has them, else public. ``object_type`` defaults to the model name
    (``claimlink`` is recorded as ``link``). ``story`` is a Story or its id.
    """
    visibility = visibility or getattr(obj, "visibility", None) or Event.Visibility.PUBLIC
    owner_id = owner.pk if owner is not None else getattr(obj, "author_id", None)
    team_id = team.pk if team is not None else getattr(obj, "team_id", None)
    story_id = story if isinstance(story, int) else story.pk
    model_name = obj._meta.model_name
    return Event(
        story_id=story_id,
        actor_id=actor.pk if actor is not None and actor.is_authenticated else None,
        verb=verb,
        object_type=object_type or {"claimlink": "link"}.get(model_name, model_name),
        object_id=obj.pk,
        before=before,
        after=after,
        visibility=visibility,
        owner_id=owner_id,
        team_id=team_id if visibility == Event.Visibility.TEAM else None,
    )


def record_event(**fields) -> Event:
    """Append one event (``new_event``'s arguments) inside the caller's transaction and notify
    listeners (on commit)."""
    event = new_event(**fields)
    event.save()
    notify(f"{event.story_id}:{event.pk}")
    return event


def record_events(events: list[Event]) -> list[Event]:
    """Append many events made by ``new_event`` (one INSERT per 500) and notify listeners of all
    of them in one statement, inside the caller's transaction; e.g. one per claim an article
    edit moved."""
    if not events:
        return []
    made = Event.objects.bulk_create(events, batch_size=500)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_notify(%s, payload) FROM unnest(%s::text[]) AS payload",
            [CHANNEL, [f"{e.story_id}:{e.pk}" for e in made]],
        )
    return made


def presence_touch(
    *, story, user, article_id: int | None = None, keep_article: bool = False, quiet: bool = False
) -> None:
    """Mark ``user`` as reading ``story`` now (and column ``article_id`` unless
    ``keep_article``); notify listeners, unless ``quiet`` and the person was already present
    (a heartbeat changes nothing anyone sees)."""
    defaults = {"seen_at": timezone.now()}
    if not keep_article:
        defaults["article_id"] = article_id
    try:
        with transaction.atomic():
            _row, created = Presence.objects.update_or_create(
                story=story, user=user, defaults=defaults,
                # A new row takes the column given even when an existing one keeps its own.
                create_defaults={**defaults, "article_id": article_id},
            )
    except IntegrityError:
        return  # the story, column or person was deleted meanwhile: nobody to tell
    if created or not quiet:
        notify(f"{story.pk}:p")


def presence_leave(*, story_id: int, user_id: int, seen_before=None) -> None:
    """Forget that ``user`` reads the story (their stream closed); notify listeners.

    ``seen_before``: only if nobody marked them present since (a stream closing just after
    the same person's new one opened, as on a reconnect, must not erase the new one's row)."""
    rows = Presence.objects.filter(story_id=story_id, user_id=user_id)
    if seen_before is not None:
        rows = rows.filter(seen_at__lte=seen_before)
    if rows.delete()[0]:
        notify(f"{story_id}:p")
