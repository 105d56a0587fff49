"""The authorization matrix: every URL pattern x role x object visibility, with the expected
outcome (docs/permissions.md in table form).

- ``ROWS`` has one row per route (``namespace:name``, plus the HTTP method when a route takes
  several). ``test_every_route_has_a_row`` walks the URL conf and fails when a route has none,
  so a new route cannot ship untested: add a row for it here.
- The world: a story owned by a desk, and for each visibility (private, team, public) a claim, a
  link, an orphan and a deleted claim, all by ``author`` (an annotator of the desk), each
  carrying a marker string in its note or rationale. A deleted public claim also keeps, in its
  ``deleted`` event, a private link whose rationale is a marker too.
- Each cell sends one request as one role about one visibility's object, inside a savepoint
  that is rolled back afterwards, so every cell sees the same world. It checks the status, and
  that the response contains no marker of anything the role may not see.

Roles: anonymous; ``outsider`` (signed in, no team); the desk's ``viewer``, ``annotator`` and
``curator``; ``author`` (the objects' author, an annotator of the desk); ``other_curator`` (curator
of another desk); ``staff``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from activity.models import Event
from annotations import services as annotation_services
from annotations.models import Claim
from tests import factories
from curation import services as curation_services
from suggestions.models import Suggestion, SuggestionRun
from tests.factories import make_team

pytestmark = pytest.mark.django_db

ROLES = ("anon", "outsider", "viewer", "annotator", "author", "other_curator", "curator", "staff")
VISIBILITIES = ("private", "team", "public")
#: Members of the desk that owns the story (the team of every team-visible object).
DESK = {"viewer": "viewer", "annotator": "annotator", "author": "annotator", "curator": "curator"}
HX = {"HTTP_HX_REQUEST": "true"}


def sees(role: str, visibility: str) -> bool:
    """The visibility rule, spelled out for this world's roles."""
    if visibility == "public":
        return True
    if visibility == "team":
        return role in DESK
    return role == "author"


def curates(role: str) -> bool:
    """Curates this world's story (owned by the desk)."""
    return role in ("curator", "staff")


# --- the world --------------------------------------------------------------------------------

BODY_A = (
    "Alpha one two. Beta three four. Gamma five six.\n"
    "Delta seven. Epsilon eight. Zeta nine.\n"
    "Eta ten. Theta eleven. Iota twelve.\n"
    "Kappa free span here.\n"
)
BODY_B = "Lambda one. Mu two. Nu three.\nXi four. Omicron five. Pi six.\n"
SPANS = {
    "claim": {"private": "Alpha one two", "team": "Beta three four", "public": "Gamma five six"},
    "orphan": {"private": "Delta seven", "team": "Epsilon eight", "public": "Zeta nine"},
    "deleted": {"private": "Eta ten", "team": "Theta eleven", "public": "Iota twelve"},
    "other": {"private": "Lambda one", "team": "Mu two", "public": "Nu three"},
}
SECRET_IN_SNAPSHOT = "zqdeletedprivatelinkzq"


def marker(kind: str, visibility: str) -> str:
    return f"zq{visibility}{kind}zq"


@dataclass
class World:
    users: dict
    desk: object
    story: object
    articles: list
    claims: dict = field(default_factory=dict)
    others: dict = field(default_factory=dict)
    links: dict = field(default_factory=dict)
    orphans: dict = field(default_factory=dict)
    deleted_events: dict = field(default_factory=dict)
    partner: object = None
    canonical: object = None
    suggestion: object = None

    def forbidden(self, role: str) -> list[str]:
        """The markers ``role`` must never be shown."""
        hidden = [
            marker(kind, visibility)
            for visibility in VISIBILITIES
            if not sees(role, visibility)
            for kind in ("claim", "link", "orphan", "deleted")
        ]
        if role != "author":
            hidden.append(SECRET_IN_SNAPSHOT)
        return hidden


def build_world() -> World:
    users = {role: factories.make_user(username=role) for role in ROLES if role != "anon"}
    users["staff"].is_staff = True
    users["staff"].save()
    users["anon"] = None
    desk = make_team(name="The desk", slug="the-desk", members={users[r]: DESK[r] for r in DESK})
    make_team(name="Other desk", slug="other-desk", members={users["other_curator"]: "curator"})
    story = factories.make_story(slug="matrix-story", desk=desk)
    a = factories.make_article(story=story, body=BODY_A, position=0)
    b = factories.make_article(story=story, body=BODY_B, position=1)
    world = World(users=users, desk=desk, story=story, articles=[a, b])
    author = users["author"]

    def claim(article, text, visibility, note):
        return factories.make_claim(
            article=article, author=author, text=text, visibility=visibility,
            team=desk if visibility == "team" else None, note=note,
        )

    for v in VISIBILITIES:
        world.claims[v] = claim(a, SPANS["claim"][v], v, marker("claim", v))
        world.others[v] = claim(b, SPANS["other"][v], v, "")
        world.links[v], _ = annotation_services.link_create(
            author=author, claim_a=world.claims[v], claim_b=world.others[v],
            relation="contradicts", rationale=marker("link", v),
        )
        world.orphans[v] = claim(a, SPANS["orphan"][v], v, marker("orphan", v))
        gone = claim(a, SPANS["deleted"][v], v, marker("deleted", v))
        if v == "public":  # its deleted event keeps a private link inside
            annotation_services.link_create(
                author=author, claim_a=gone, claim_b=world.others["private"], relation="agrees",
                rationale=SECRET_IN_SNAPSHOT,
            )
        annotation_services.claim_delete(user=author, claim=gone)
        world.deleted_events[v] = Event.objects.get(
            verb="deleted", object_type="claim", object_id=gone.pk
        )
    Claim.objects.filter(pk__in=[c.pk for c in world.orphans.values()]).update(status="orphaned")
    world.partner = factories.make_claim(article=b, author=author, text="Xi four")
    world.canonical = curation_services.canonical_create(
        user=users["staff"], story=story, statement="The canonical statement",
        claims=list(world.claims.values()),
    )
    curation_services.verdict_set(
        user=users["staff"], link=world.links["public"], rated_claim=world.claims["public"],
        rating="refuted", evidence="Checked.",
    )
    run = SuggestionRun.objects.create(story=story, status="done", progress=1)
    world.suggestion = Suggestion.objects.create(
        story=story, run=run, key="k", relation="agrees", score=0.9, reason="same",
        article_a=a, start_a=BODY_A.index("Kappa"), end_a=BODY_A.index("Kappa") + 5, quote_a="Kappa",
        article_b=b, start_b=BODY_B.index("Pi six"), end_b=BODY_B.index("Pi six") + 6,
        quote_b="Pi six",
    )
    return world


# --- expectations -------------------------------------------------------------------------------

LOGIN = {302}  # login_required sends anonymous visitors to the login page


def everyone(code: int | set[int]) -> Callable[[str, str], set[int]]:
    codes = {code} if isinstance(code, int) else code
    return lambda role, visibility: codes


def signed_in(code: int | set[int], *, anon: set[int] = LOGIN) -> Callable[[str, str], set[int]]:
    codes = {code} if isinstance(code, int) else code
    return lambda role, visibility: anon if role == "anon" else codes


def by_visibility(ok: int | set[int]) -> Callable[[str, str], set[int]]:
    """Reading one object: ``ok`` if the role sees it, else 404."""
    codes = {ok} if isinstance(ok, int) else ok
    return lambda role, visibility: codes if sees(role, visibility) else {404}


def authors_only(ok: int | set[int], *, anon: set[int] = LOGIN):
    """Changing one object: its author; 403 for those who see it, 404 for those who don't."""
    codes = {ok} if isinstance(ok, int) else ok

    def expect(role, visibility):
        if role == "anon":
            return anon
        if not sees(role, visibility):
            return {404}
        return codes if role == "author" else {403}

    return expect


def curators_only(ok: int | set[int], *, anon: set[int] = LOGIN, hidden: str = ""):
    """Curating the story: its desk's curators and staff; 403 for others. An object the role
    does not see is a 404: before the curator check (``hidden="first"``: the object is looked
    up for curating) or after it (``hidden="after"``: the story is checked first)."""
    codes = {ok} if isinstance(ok, int) else ok

    def expect(role, visibility):
        if role == "anon":
            return anon
        if hidden == "first" and not sees(role, visibility):
            return {404}
        if not curates(role):
            return {403}
        if hidden == "after" and not sees(role, visibility):
            return {404}
        return codes

    return expect


@dataclass(frozen=True)
class Row:
    #: ``(world, visibility) -> url``
    url: Callable[[World, str], str]
    #: ``(role, visibility) -> allowed statuses``
    expect: Callable[[str, str], set[int]]
    method: str = "GET"
    data: Callable[[World, str], dict] | None = None
    headers: dict = field(default_factory=dict)
    #: False when the route does not depend on the object's visibility (checked once).
    per_visibility: bool = True
    #: Where the route's behaviour is tested beyond status and markers, if the matrix can't.
    note: str = ""
    #: Run inside a rolled-back savepoint (False for a route that hands its database work to
    #: other threads, like the live stream; it must then write nothing).
    atomic: bool = True


def slug_url(name: str, **extra) -> Callable[[World, str], str]:
    return lambda w, v: reverse(name, kwargs={"slug": w.story.slug, **extra})


def pk_url(name: str, attr: str, key: str = "pk") -> Callable[[World, str], str]:
    return lambda w, v: reverse(name, kwargs={key: getattr(w, attr)[v].pk})


def story_makers(ok: set[int]):
    """Making a story: curators of some desk and staff (``permissions.can_create_story``)."""
    return lambda role, v: LOGIN if role == "anon" else (ok if role in ("curator", "other_curator", "staff") else {403})


def batch_owner(ok: int):
    """A batch of articles being added is its creator's (the desk's curator here): other
    curators get 404, non-curators 403."""

    def expect(role, visibility):
        if role == "anon":
            return LOGIN
        if not curates(role):
            return {403}
        return {ok} if role == "curator" else {404}

    return expect


def _batch_item(w):
    """A paste in a batch of the desk's curator (made inside the cell's savepoint)."""
    from newsroom.models import Intake, IntakeItem

    batch = Intake.objects.create(story=w.story, created_by=w.users["curator"])
    return IntakeItem.objects.create(
        intake=batch, kind="paste", status="ready", title="Pasted", text="Pasted text.\n", language="en"
    )


def article_url(name: str):
    return lambda w, v: reverse(name, kwargs={"slug": w.story.slug, "pk": w.articles[0].pk})


def _pair_url(w, v):
    from articles.models import Article

    Article.objects.filter(pk=w.articles[1].pk).update(translation_of=w.articles[0])
    return reverse("newsroom:pair", kwargs={"slug": w.story.slug, "pk": w.articles[1].pk})


STATIC = {"per_visibility": False}

ROWS: dict[str, Row] = {
    # --- reading ---------------------------------------------------------------------------
    "articles:home": Row(lambda w, v: reverse("articles:home"), everyone(200), **STATIC),
    "reader:story_read": Row(
        lambda w, v: w.story.get_absolute_url() + f"?claim={w.claims[v].pk}&panel=connections",
        everyone(200),
    ),
    "articles:search": Row(lambda w, v: reverse("articles:search") + "?q=Alpha", everyone(200), **STATIC),
    "reader:story_connections": Row(
        slug_url("reader:story_connections"), everyone(200), headers=HX, **STATIC
    ),
    "reader:story_activity": Row(slug_url("reader:story_activity"), everyone(200), **STATIC),
    "reader:story_stream": Row(
        slug_url("reader:story_stream"), everyone(503), atomic=False, **STATIC,
        note="503 under the test server (WSGI); what each viewer receives over ASGI is "
        "reader/tests/test_live_visibility.py",
    ),
    "curation:matrix": Row(slug_url("curation:matrix"), everyone(200), **STATIC),
    "curation:matrix_csv": Row(slug_url("curation:matrix_csv"), everyone(200), **STATIC),
    "curation:canonical_detail GET": Row(
        lambda w, v: reverse("curation:canonical_detail", kwargs={"pk": w.canonical.pk}),
        everyone(200), **STATIC,
    ),
    "curation:story_history": Row(slug_url("curation:story_history"), signed_in(200), **STATIC),
    "curation:object_history": Row(
        lambda w, v: reverse(
            "curation:object_history", kwargs={"object_type": "claim", "object_id": w.claims[v].pk}
        ),
        lambda role, v: LOGIN if role == "anon" else ({200} if sees(role, v) else {404}),
    ),
    "suggestions:story": Row(slug_url("suggestions:story"), everyone(200), **STATIC),
    # --- annotating -------------------------------------------------------------------------
    "reader:claim_create": Row(
        lambda w, v: reverse("reader:claim_create", kwargs={"article_pk": w.articles[0].pk}),
        lambda role, v: {403} if role == "anon" else (
            {200} if v != "team" or role in ("annotator", "author", "curator") else {403}
        ),
        method="POST", headers=HX,
        data=lambda w, v: {
            "start": BODY_A.index("Kappa"), "end": BODY_A.index("Kappa") + 5, "exact": "Kappa",
            "visibility": v, "team": w.desk.pk if v == "team" else "",
        },
    ),
    "reader:claim_edit": Row(
        pk_url("reader:claim_edit", "claims"), authors_only(200), method="POST",
        headers=HX, data=lambda w, v: {"note": "changed"},
    ),
    "reader:claim_delete GET": Row(
        pk_url("reader:claim_delete", "claims"), authors_only(200), headers=HX
    ),
    "reader:claim_delete POST": Row(
        pk_url("reader:claim_delete", "claims"), authors_only(200), method="POST", headers=HX
    ),
    "reader:link_create": Row(
        lambda w, v: reverse("reader:link_create"),
        lambda role, v: LOGIN if role == "anon" else (
            {404} if not sees(role, v)
            else {403} if v == "team" and role == "viewer"
            else {200}
        ),
        method="POST", headers=HX,
        data=lambda w, v: {"claim": w.claims[v].pk, "other": w.partner.pk, "relation": "qualifies"},
    ),
    "reader:link_edit": Row(
        pk_url("reader:link_edit", "links"), authors_only(200), method="POST", headers=HX,
        data=lambda w, v: {"relation": "agrees"},
    ),
    "reader:link_delete": Row(
        pk_url("reader:link_delete", "links"), authors_only(200), method="POST", headers=HX
    ),
    "reader:presence_update": Row(
        slug_url("reader:presence_update"), signed_in(204), method="POST",
        data=lambda w, v: {"article": w.articles[0].pk}, **STATIC,
    ),
    "reader:visibility_choose": Row(
        lambda w, v: reverse("reader:visibility_choose"),
        lambda role, v: LOGIN if role == "anon" else (
            {204} if v != "team" or role in ("annotator", "author", "curator") else {403}
        ),
        method="POST", headers=HX,
        data=lambda w, v: {"as": f"team:{w.desk.pk}" if v == "team" else v},
    ),
    "suggestions:accept": Row(
        lambda w, v: reverse("suggestions:accept", kwargs={"slug": w.story.slug, "pk": w.suggestion.pk}),
        signed_in(302), method="POST", **STATIC,
    ),
    "suggestions:dismiss": Row(
        lambda w, v: reverse("suggestions:dismiss", kwargs={"slug": w.story.slug, "pk": w.suggestion.pk}),
        signed_in(302), method="POST", **STATIC,
    ),
    "suggestions:restore": Row(
        lambda w, v: reverse("suggestions:restore", kwargs={"slug": w.story.slug, "pk": w.suggestion.pk}),
        signed_in(302), method="POST", **STATIC,
    ),
    "suggestions:claim_memory": Row(
        lambda w, v: reverse("suggestions:claim_memory", kwargs={"pk": w.claims[v].pk}),
        lambda role, v: {200} if sees(role, v) else {404},
    ),
    "suggestions:refresh": Row(
        slug_url("suggestions:refresh"), signed_in(302), method="POST", **STATIC
    ),
    # --- curating ---------------------------------------------------------------------------
    "curation:review_queue GET": Row(
        lambda w, v: reverse("curation:review_queue") + f"?story={w.story.slug}",
        lambda role, v: LOGIN if role == "anon" else (
            {200} if role in ("curator", "staff", "other_curator") else {403}
        ),
        **STATIC,
    ),
    "curation:review_queue POST": Row(
        lambda w, v: reverse("curation:review_queue"),
        lambda role, v: LOGIN if role == "anon" else (
            {403} if role not in ("curator", "staff", "other_curator")
            else {404} if not sees(role, v)
            else {302} if curates(role)
            else {403}
        ),
        method="POST",
        data=lambda w, v: {"links": [w.links[v].pk], "decision": "confirmed", "reason": "ok"},
    ),
    "curation:canonical_create": Row(
        slug_url("curation:canonical_create"), curators_only(302, hidden="after"), method="POST",
        data=lambda w, v: {"statement": "New", "claims": [w.others[v].pk], "stance": "asserts"},
    ),
    "curation:canonical_detail POST": Row(
        lambda w, v: reverse("curation:canonical_detail", kwargs={"pk": w.canonical.pk}),
        curators_only(302, anon={403}), method="POST",
        data=lambda w, v: {"statement": "Reworded"}, **STATIC,
    ),
    "curation:verdict GET": Row(
        pk_url("curation:verdict", "links", "link_pk"), curators_only(200, hidden="first")
    ),
    "curation:verdict POST": Row(
        pk_url("curation:verdict", "links", "link_pk"), curators_only({302}, hidden="first"),
        method="POST",
        data=lambda w, v: {
            "rated_claim": w.claims[v].pk, "rating": "supported", "evidence": "Seen.", "url": "",
        },
    ),
    "curation:agreement": Row(slug_url("curation:agreement"), curators_only(200), **STATIC),
    "curation:orphans": Row(slug_url("curation:orphans"), curators_only(200), **STATIC),
    "curation:orphan_action": Row(
        lambda w, v: reverse("curation:orphan_action", kwargs={"pk": w.orphans[v].pk, "action": "dismiss"}),
        curators_only(302, hidden="first"), method="POST", data=lambda w, v: {"reason": "gone"},
    ),
    "curation:claim_restore": Row(
        lambda w, v: reverse("curation:claim_restore", kwargs={"event_pk": w.deleted_events[v].pk}),
        curators_only(302, hidden="first"), method="POST",
    ),
    # --- open data (JSON; anonymous writers get 401, not a login redirect) ---------------------
    "opendata:container": Row(lambda w, v: reverse("opendata:container"), everyone(200), **STATIC),
    "opendata:annotation GET": Row(
        lambda w, v: reverse("opendata:annotation", kwargs={"annotation_id": f"claim-{w.claims[v].pk}"}),
        by_visibility(200),
    ),
    "opendata:annotation DELETE": Row(
        lambda w, v: reverse("opendata:annotation", kwargs={"annotation_id": f"claim-{w.claims[v].pk}"}),
        authors_only(204, anon={401}), method="DELETE",
    ),
    "opendata:article_text": Row(
        lambda w, v: reverse("opendata:article_text", kwargs={"pk": w.articles[0].pk}),
        everyone(200), **STATIC,
    ),
    "opendata:story_export": Row(slug_url("opendata:story_export"), everyone(200), **STATIC),
    "opendata:story_csv": Row(slug_url("opendata:story_csv"), everyone(200), **STATIC),
    "opendata:import": Row(
        lambda w, v: reverse("opendata:import"), signed_in({200, 201, 422}, anon={401}),
        method="POST", data=lambda w, v: {"type": "AnnotationCollection", "first": {"items": []}},
        **STATIC,
    ),
    "opendata:openapi": Row(lambda w, v: reverse("opendata:openapi"), everyone(200), **STATIC),
    "opendata:tokens": Row(lambda w, v: reverse("opendata:tokens"), signed_in(200), **STATIC),
    "opendata:not_found": Row(
        lambda w, v: reverse("opendata:not_found", kwargs={"path": "nothing-here"}),
        everyone(404), **STATIC,
    ),
    "opendata_pages:import": Row(
        slug_url("opendata_pages:import"), signed_in(200), **STATIC,
        note="opendata/tests/test_import_page.py (check, confirm, all or nothing)",
    ),
    # --- teams (a team's pages are for its members; its admins manage members) -----------------
    "teams:team_list": Row(lambda w, v: reverse("teams:team_list"), signed_in(200), **STATIC),
    "teams:team_create": Row(
        lambda w, v: reverse("teams:team_create"), signed_in(302), method="POST",
        data=lambda w, v: {"name": "A new team"}, **STATIC,
    ),
    "teams:team_detail": Row(
        lambda w, v: reverse("teams:team_detail", kwargs={"slug": w.desk.slug}),
        lambda role, v: LOGIN if role == "anon" else ({200} if role in DESK else {404}),
        **STATIC,
    ),
    "teams:member_add": Row(
        lambda w, v: reverse("teams:member_add", kwargs={"slug": w.desk.slug}),
        lambda role, v: LOGIN if role == "anon" else ({403} if role in DESK else {404}),
        method="POST", data=lambda w, v: {"username": "outsider", "role": "viewer"}, **STATIC,
        note="no role here is the desk's admin; adding members as admin is teams/tests",
    ),
    "teams:member_remove": Row(
        lambda w, v: reverse(
            "teams:member_remove", kwargs={"slug": w.desk.slug, "user_id": w.users["viewer"].pk}
        ),
        lambda role, v: LOGIN if role == "anon" else (
            {302} if role == "viewer" else {403} if role in DESK else {404}
        ),
        method="POST", **STATIC,
    ),
    # --- newsroom (issue 16): making stories, bringing articles in, arranging them ---------------
    "newsroom:story_new GET": Row(
        lambda w, v: reverse("newsroom:story_new"), story_makers({200}), **STATIC,
        note="creating in a desk and site-wide: newsroom/tests/test_intake.py, test_views.py",
    ),
    "newsroom:story_new POST": Row(
        lambda w, v: reverse("newsroom:story_new"),
        # another desk's curator may create stories, but not in this desk: the form refuses it
        lambda role, v: {400} if role == "other_curator" else story_makers({302})(role, v),
        method="POST", data=lambda w, v: {"title": "Matrix story", "desk": w.desk.pk, "language": "vi"},
        **STATIC,
    ),
    "newsroom:intake": Row(slug_url("newsroom:intake"), curators_only(200), **STATIC),
    "newsroom:intake_add": Row(
        slug_url("newsroom:intake_add"), curators_only(302), method="POST",
        data=lambda w, v: {"paste": "A pasted article about the matrix story."}, **STATIC,
    ),
    "newsroom:intake_store": Row(
        slug_url("newsroom:intake_store"), batch_owner(302), method="POST",
        data=lambda w, v: {"intake": _batch_item(w).intake_id}, **STATIC,
    ),
    "newsroom:item": Row(
        lambda w, v: reverse("newsroom:item", kwargs={"slug": w.story.slug, "pk": _batch_item(w).pk}),
        batch_owner(200), **STATIC, note="a batch is its creator's: other curators get 404",
    ),
    "newsroom:item_action": Row(
        lambda w, v: reverse("newsroom:item_action", kwargs={"slug": w.story.slug, "pk": _batch_item(w).pk}),
        batch_owner(302), method="POST", data=lambda w, v: {"action": "discard"}, **STATIC,
    ),
    "newsroom:manage": Row(slug_url("newsroom:manage"), curators_only(200), **STATIC),
    "newsroom:article_update": Row(
        article_url("newsroom:article_update"), curators_only(302), method="POST",
        data=lambda w, v: {f"a{w.articles[0].pk}-title": "Renamed", f"a{w.articles[0].pk}-language": "en"},
        **STATIC,
    ),
    "newsroom:article_move": Row(
        article_url("newsroom:article_move"), curators_only(302), method="POST",
        data=lambda w, v: {"step": "1"}, **STATIC,
    ),
    "newsroom:article_remove GET": Row(article_url("newsroom:article_remove"), curators_only(200), **STATIC),
    "newsroom:article_remove POST": Row(
        article_url("newsroom:article_remove"), curators_only(302), method="POST",
        data=lambda w, v: {"confirm": "yes"}, **STATIC,
    ),
    "newsroom:article_trim GET": Row(article_url("newsroom:article_trim"), curators_only(200), **STATIC),
    "newsroom:article_trim POST": Row(
        article_url("newsroom:article_trim"), curators_only(302), method="POST",
        data=lambda w, v: {"drop": ["3"]}, **STATIC,
    ),
    "newsroom:pair": Row(_pair_url, everyone(302), **STATIC),
    # --- site ---------------------------------------------------------------------------------
    "login": Row(lambda w, v: reverse("login"), everyone(200), **STATIC),
    "logout": Row(lambda w, v: reverse("logout"), everyone(302), method="POST", **STATIC),
    "set_language": Row(
        lambda w, v: reverse("set_language"), everyone(302), method="POST",
        data=lambda w, v: {"language": "vi", "next": "/"}, **STATIC,
    ),
    "favicon": Row(lambda w, v: "/favicon.ico", everyone(301), **STATIC),
    "admin:index": Row(
        lambda w, v: reverse("admin:index"),
        lambda role, v: {200} if role == "staff" else {302}, **STATIC,
        note="the admin is for staff; its lists are filtered (admin rows below)",
    ),
    "admin:annotations_claim_changelist": Row(
        lambda w, v: reverse("admin:annotations_claim_changelist") + "?q=zq",
        lambda role, v: {200} if role == "staff" else {302}, **STATIC,
    ),
    "admin:annotations_claimlink_changelist": Row(
        lambda w, v: reverse("admin:annotations_claimlink_changelist") + "?q=zq",
        lambda role, v: {200} if role == "staff" else {302}, **STATIC,
    ),
}
#: The Django admin's own routes are covered by the admin rows above and Django's own tests.
COVERED_BY_ADMIN_ROWS = "admin:"


def _routes(resolver=None, namespace: str = "") -> list[tuple[str, URLPattern]]:
    found = []
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}:{pattern.namespace}".strip(":") if pattern.namespace else namespace
            found += _routes(pattern, inner)
        else:
            name = pattern.name or str(pattern.pattern).strip("^$").removesuffix(".ico")
            found.append((f"{namespace}:{name}" if namespace else name, pattern))
    return found


def test_every_route_has_a_row():
    names = {name.split(" ")[0] for name in ROWS}
    missing = sorted(
        name
        for name, _pattern in _routes()
        if name not in names and not name.startswith(COVERED_BY_ADMIN_ROWS)
    )
    assert not missing, f"routes without a row in the authorization matrix: {missing}"
    stale = sorted(names - {name for name, _ in _routes()} - {"favicon"})
    assert not stale, f"rows for routes that no longer exist: {stale}"


def _request(client: Client, row: Row, world: World, visibility: str):
    url = row.url(world, visibility)
    data = row.data(world, visibility) if row.data else None
    if row.method == "GET":
        return client.get(url, data=data, **row.headers)
    if row.method == "POST" and url.startswith("/annotations/"):
        return client.post(url, json.dumps(data), content_type="application/ld+json", **row.headers)
    if row.method == "POST":
        return client.post(url, data or {}, **row.headers)
    return client.generic(row.method, url, **row.headers)


@pytest.fixture(scope="module")
def shared_world(django_db_setup, django_db_blocker):
    """One world for every savepoint-wrapped route test of this module, built once and rolled
    back at the end (each test's own transaction nests inside it as a savepoint)."""
    from django.conf import settings

    hashers = settings.PASSWORD_HASHERS
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    try:
        with django_db_blocker.unblock(), transaction.atomic():
            yield build_world()
            transaction.set_rollback(True)
    finally:
        settings.PASSWORD_HASHERS = hashers


def _check(route: str, world: World) -> None:
    row = ROWS[route]
    failures = []
    for role in ROLES:
        for visibility in VISIBILITIES if row.per_visibility else ("public",):
            client = Client()
            if world.users[role] is not None:
                client.force_login(world.users[role])
            if row.atomic:
                with transaction.atomic():
                    response = _request(client, row, world, visibility)
                    transaction.set_rollback(True)  # every cell sees the same world
            else:
                response = _request(client, row, world, visibility)
            allowed = row.expect(role, visibility)
            if response.status_code not in allowed:
                failures.append(f"{role}/{visibility}: {response.status_code}, expected {allowed}")
            body = b"" if response.streaming else response.content
            text = body.decode("utf-8", "replace")
            leaked = [m for m in world.forbidden(role) if m in text]
            if leaked:
                failures.append(f"{role}/{visibility}: leaked {leaked}")
    assert not failures, f"{route}:\n  " + "\n  ".join(failures)


@pytest.mark.parametrize("route", sorted(name for name, row in ROWS.items() if row.atomic))
def test_route(route, shared_world):
    _check(route, shared_world)
