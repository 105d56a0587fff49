"""Curation in the Django admin.

Claims and links are made in the reader, where the services check offsets, quotes and pairs.
Here curators look, search and filter, and act only through the same services and permission
checks as the site (``curation.services``): confirm or reject links with a reason, merge duplicate
claims. Anchoring fields are never edited by hand (that would silently move a highlight), nothing
is deleted behind the event log's back, and each object shows its recorded history read-only.

Curation objects (canonical claims, verdicts, reviews, dismissals) are read-only views with
filters, search, autocomplete and their recorded history. Changes are made on the site (matrix,
review queue, verdict pages), which call the services; the admin only deletes through them.

The claim and link admin lives here, not in ``annotations``, because it acts through curation's
services: a lower app never imports a higher one (tests/test_layers.py).
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _

from annotations import permissions
from annotations.models import Claim, ClaimLink

from . import selectors as curation_selectors
from . import services
from .models import CanonicalClaim, CanonicalMember, LinkReview, OrphanDismissal, Verdict


def _quote(claim: Claim, limit: int = 80) -> str:
    return claim.exact if len(claim.exact) <= limit else claim.exact[: limit - 1] + "…"


def _history_html(request: HttpRequest, object_type: str, obj) -> str:
    """The object's recorded events (who, when, what), newest first, read-only."""
    if obj is None or obj.pk is None:
        return "—"
    events = curation_selectors.object_history(
        user=request.user, object_type=object_type, object_id=obj.pk
    )
    if not events:
        return _("Nothing recorded yet.")
    rows = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
        (
            (e.created_at.strftime("%Y-%m-%d %H:%M"), e.actor.get_username() if e.actor else "—",
             e.verb)
            for e in events
        ),
    )
    return format_html(
        '<table><thead><tr><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>{}</tbody>'
        "</table>",
        _("When"), _("Who"), _("What"), rows,
    )


class CuratorAdminMixin:
    """Admin pages open to curators and read-only except for the actions, which call the
    services. Lists hold only what the person may see, in the stories they curate (the rule
    book's ``visible_q`` and ``curated_q``: ``story_path`` leads from the model to its story)."""

    #: How the model reaches its story; each admin sets it.
    story_path = ""
    #: How the model reaches the claims or links whose visibility applies ("" for the object
    #: itself, None when the model has none).
    visibility_paths: tuple[str, ...] = ()

    def has_module_permission(self, request: HttpRequest) -> bool:
        return permissions.curates_any(request.user)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return permissions.curates_any(request.user)

    def get_queryset(self, request: HttpRequest):
        self._request = request
        queryset = super().get_queryset(request).filter(
            permissions.curated_q(request.user, self.story_path)
        )
        for path in self.visibility_paths:
            queryset = queryset.filter(permissions.visible_q(request.user, path))
        return queryset

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # made in the reader, where offsets and pairs are checked

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # changes go through the actions (services), never raw edits

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # authors delete in the reader (recorded, restorable); curators merge


class LinkInline(admin.TabularInline):
    """Links where the claim is the lower id; the others show under the other claim."""

    model = ClaimLink
    fk_name = "claim_a"
    fields = ["claim_b", "relation", "status", "author", "rationale"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[ClaimLink]:
        return (
            super()
            .get_queryset(request)
            .filter(permissions.link_visible_q(request.user))
            .select_related("claim_b", "author")
        )


@admin.register(Claim)
class ClaimAdmin(CuratorAdminMixin, admin.ModelAdmin):
    list_display = ["pk", "quote", "article", "author", "status", "visibility", "version",
                    "created_at"]
    list_display_links = ["pk", "quote"]
    list_filter = ["status", "visibility", "article__story", "article__source", "created_at"]
    list_select_related = ["article", "author"]
    search_fields = ["exact", "note", "author__username", "article__title"]
    date_hierarchy = "created_at"
    fieldsets = [
        (None, {"fields": ["article", "author", "exact", "note", "tags", "visibility", "status"]}),
        ("Anchor", {"fields": ["start", "end", "prefix", "suffix", "body_hash"],
                    "classes": ["collapse"]}),
        ("History", {"fields": ["version", "created_at", "updated_at", "history"]}),
    ]
    readonly_fields = [f for fs in fieldsets for f in fs[1]["fields"]]
    inlines = [LinkInline]
    actions = ["merge_duplicates"]
    story_path = "article__story__"
    visibility_paths = ("",)

    @admin.display(description="Claim", ordering="exact")
    def quote(self, obj: Claim) -> str:
        return _quote(obj)

    @admin.display(description="Recorded history")
    def history(self, obj: Claim) -> str:
        return _history_html(self._request, "claim", obj)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Claim]:
        return (
            super()
            .get_queryset(request)
            .select_related("article", "author")
            .defer("article__search_vector", "article__body")
        )

    @admin.action(description="Merge selected duplicate claims (same article, overlapping)")
    def merge_duplicates(self, request: HttpRequest, queryset: QuerySet[Claim]) -> None:
        claims = list(queryset.select_related("article__story"))
        try:
            result = services.claims_merge(user=request.user, claims=claims)
        except (ValidationError, PermissionDenied) as exc:
            text = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            self.message_user(request, text, messages.ERROR)
            return
        self.message_user(
            request,
            f"Merged {result.removed} claim(s) into #{result.kept.pk}; "
            f"{result.links_moved} link(s) moved.",
        )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label="Reason", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


@admin.register(ClaimLink)
class ClaimLinkAdmin(CuratorAdminMixin, admin.ModelAdmin):
    list_display = ["pk", "relation", "status", "quote_a", "quote_b", "author", "created_at"]
    list_filter = [
        "relation", "status", "claim_a__article__story", "verdict__rating", "created_at",
    ]
    list_select_related = ["claim_a", "claim_b", "author"]
    search_fields = ["rationale", "claim_a__exact", "claim_b__exact", "author__username"]
    fields = ["claim_a", "claim_b", "relation", "rationale", "status", "author", "created_at",
              "updated_at", "reviews", "history"]
    readonly_fields = fields
    actions = ["mark_confirmed", "mark_rejected", "mark_proposed"]
    story_path = "claim_a__article__story__"
    visibility_paths = ("", "claim_a__", "claim_b__")

    @admin.display(description="Claim A", ordering="claim_a__exact")
    def quote_a(self, obj: ClaimLink) -> str:
        return _quote(obj.claim_a, 60)

    @admin.display(description="Claim B", ordering="claim_b__exact")
    def quote_b(self, obj: ClaimLink) -> str:
        return _quote(obj.claim_b, 60)

    @admin.display(description="Reviews")
    def reviews(self, obj: ClaimLink) -> str:
        rows = format_html_join(
            "", "<li>{}: {} by {} — {}</li>",
            ((r.created_at.strftime("%Y-%m-%d %H:%M"), r.get_decision_display(),
              r.reviewer.get_username(), r.reason or "—")
             for r in obj.reviews.select_related("reviewer")),
        )
        return format_html("<ul>{}</ul>", rows) if rows else "—"

    @admin.display(description="Recorded history")
    def history(self, obj: ClaimLink) -> str:
        return _history_html(self._request, "link", obj)


    def _review(self, request: HttpRequest, queryset: QuerySet[ClaimLink], decision: str):
        """Ask for a reason on an intermediate page, then review through the service."""
        form = ReasonForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            links = list(queryset.select_related("claim_a__article__story"))
            try:
                reviews = services.links_review(
                    user=request.user, links=links, decision=decision,
                    reason=form.cleaned_data["reason"],
                )
            except (ValidationError, PermissionDenied) as exc:
                text = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
                if getattr(exc, "code", None) != "reason_required":
                    self.message_user(request, text, messages.ERROR)
                if getattr(exc, "code", None) != "reason_required":
                    return None
                form.add_error("reason", text)  # ask again, on the same page
            else:
                self.message_user(request, f"{len(reviews)} link(s) marked {decision}.")
                return None
        return TemplateResponse(
            request,
            "curation/admin_review.html",
            {
                **self.admin_site.each_context(request),
                "title": f"Mark {queryset.count()} link(s) {decision}",
                "links": queryset.select_related("claim_a", "claim_b"),
                "form": form,
                "action": request.POST.get("action"),
                "decision": decision,
                "opts": self.model._meta,
                "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
            },
        )

    @admin.action(description="Confirm selected links (with a reason)")
    def mark_confirmed(self, request: HttpRequest, queryset: QuerySet[ClaimLink]):
        return self._review(request, queryset, ClaimLink.Status.CONFIRMED)

    @admin.action(description="Reject selected links (a reason is needed)")
    def mark_rejected(self, request: HttpRequest, queryset: QuerySet[ClaimLink]):
        return self._review(request, queryset, ClaimLink.Status.REJECTED)

    @admin.action(description="Send selected links back to review")
    def mark_proposed(self, request: HttpRequest, queryset: QuerySet[ClaimLink]):
        return self._review(request, queryset, ClaimLink.Status.PROPOSED)


class MemberInline(admin.TabularInline):
    model = CanonicalMember
    fields = ["claim", "stance", "added_by", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest):
        # Members whose claims the curator may not see are not listed.
        return super().get_queryset(request).filter(permissions.visible_q(request.user, "claim__"))


@admin.register(CanonicalClaim)
class CanonicalClaimAdmin(CuratorAdminMixin, admin.ModelAdmin):
    list_display = ["pk", "statement", "story", "created_by", "created_at"]
    list_filter = ["story", "created_at"]
    search_fields = ["statement", "members__claim__exact"]
    fields = ["story", "statement", "created_by", "created_at", "updated_at", "history"]
    readonly_fields = fields
    inlines = [MemberInline]
    actions = ["dissolve"]
    story_path = "story__"

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).select_related("story", "created_by")

    @admin.display(description="Recorded history")
    def history(self, obj):
        return _history_html(self._request, "canonicalclaim", obj)

    @admin.action(description="Dissolve selected canonical claims")
    def dissolve(self, request, queryset):
        for canonical in queryset.select_related("story"):
            services.canonical_delete(user=request.user, canonical=canonical)
        self.message_user(request, "Dissolved; their claims are unclustered again.")


class VerdictForm(forms.ModelForm):
    """Adding a verdict in the admin: the link and claim by autocomplete, checked by the same
    service function as the site (contradictions only, one of the pair, curators only)."""

    url = forms.URLField(
        label=Verdict._meta.get_field("url").verbose_name.capitalize(), required=False,
        max_length=500, assume_scheme="https",
        help_text=Verdict._meta.get_field("url").help_text,
    )

    class Meta:
        model = Verdict
        fields = ["link", "rated_claim", "rating", "evidence", "url"]

    def clean(self):
        data = super().clean()
        link = data.get("link")
        if link is not None and not self.errors:
            try:
                services.verdict_check(
                    user=self.request.user, link=link, rated_claim=data.get("rated_claim"),
                    rating=data.get("rating"), evidence=data.get("evidence", ""),
                    url=data.get("url", ""),
                )
            except ValidationError as exc:
                raise ValidationError(exc.messages) from None
        return data


@admin.register(Verdict)
class VerdictAdmin(CuratorAdminMixin, admin.ModelAdmin):
    list_display = ["pk", "rating", "link", "rated_claim", "author", "updated_at"]
    list_filter = ["rating", "link__claim_a__article__story", "updated_at"]
    search_fields = ["evidence", "url", "rated_claim__exact"]
    autocomplete_fields = ["link", "rated_claim"]
    form = VerdictForm

    story_path = "link__claim_a__article__story__"
    visibility_paths = ("link__", "link__claim_a__", "link__claim_b__")

    def has_add_permission(self, request, obj=None) -> bool:
        return permissions.curates_any(request.user)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["link", "rated_claim", "rating", "evidence", "url"]
        return ["link", "rated_claim", "rating", "evidence", "url", "author", "created_at",
                "updated_at", "history"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.get_fields(request, obj)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.request = request
        return form

    def save_model(self, request, obj, form, change):
        # The same service as the verdict page (records the event, replaces an older verdict).
        saved = services.verdict_set(
            user=request.user, link=obj.link, rated_claim=obj.rated_claim, rating=obj.rating,
            evidence=obj.evidence, url=obj.url,
        )
        obj.pk = saved.pk

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).select_related("link", "rated_claim", "author")

    @admin.display(description="Recorded history")
    def history(self, obj):
        return _history_html(self._request, "verdict", obj)


@admin.register(LinkReview)
class LinkReviewAdmin(CuratorAdminMixin, admin.ModelAdmin):
    list_display = ["pk", "link", "decision", "reviewer", "reason", "created_at"]
    list_filter = ["decision", "link__claim_a__article__story", "created_at"]
    search_fields = ["reason", "reviewer__username"]
    list_select_related = ["link", "reviewer"]
    story_path = "link__claim_a__article__story__"
    visibility_paths = ("link__", "link__claim_a__", "link__claim_b__")


@admin.register(OrphanDismissal)
class OrphanDismissalAdmin(CuratorAdminMixin, admin.ModelAdmin):
    list_display = ["claim", "dismissed_by", "reason", "created_at"]
    search_fields = ["claim__exact", "reason"]
    list_select_related = ["claim", "dismissed_by"]
    story_path = "claim__article__story__"
    visibility_paths = ("claim__",)
