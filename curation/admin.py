"""Curation objects in the admin: read-only views with filters, search, autocomplete and their
recorded history. Changes are made on the site (matrix, review queue, verdict pages), which call
the services; the admin only deletes through them."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from annotations.admin import CuratorAdminMixin, _history_html
from annotations import permissions

from . import services
from .models import CanonicalClaim, CanonicalMember, LinkReview, OrphanDismissal, Verdict


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
