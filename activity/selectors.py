"""Reads of the event log, filtered by what the viewer may see."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from teams.selectors import team_ids_for

from .models import Event


def event_visible_q(user, prefix: str = "") -> Q:
    """Events ``user`` may see: public ones, their own objects', and their teams'."""
    public = Q(**{f"{prefix}visibility": Event.Visibility.PUBLIC})
    if user is None or not user.is_authenticated:
        return public
    return (
        public
        | Q(**{f"{prefix}owner_id": user.pk})
        | Q(
            **{
                f"{prefix}visibility": Event.Visibility.TEAM,
                f"{prefix}team_id__in": team_ids_for(user=user),
            }
        )
    )


def events_visible_to(*, user, story=None, after_id: int | None = None) -> QuerySet[Event]:
    """Events ``user`` may see, oldest first, optionally of one story and after an event id."""
    events = Event.objects.filter(event_visible_q(user)).select_related("actor")
    if story is not None:
        events = events.filter(story=story)
    if after_id is not None:
        events = events.filter(id__gt=after_id)
    return events.order_by("id")


def object_history(*, user, object_type: str, object_id: int) -> QuerySet[Event]:
    """The visible events about one object, oldest first."""
    return events_visible_to(user=user).filter(object_type=object_type, object_id=object_id)


def story_feed(*, user, story, limit: int = 50) -> list[Event]:
    """The latest ``limit`` visible events of ``story``, newest first, actor and team joined."""
    return list(
        Event.objects.filter(event_visible_q(user), story=story)
        .select_related("actor", "team")
        .order_by("-id")[:limit]
    )
