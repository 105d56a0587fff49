from django.contrib import admin

from .models import ApiToken, OrphanedAnnotation, Provenance


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "hint", "created_at", "last_used_at"]
    list_select_related = ["user"]
    readonly_fields = ["key_hash", "hint", "created_at", "last_used_at"]
    search_fields = ["name", "user__username"]


@admin.register(Provenance)
class ProvenanceAdmin(admin.ModelAdmin):
    """Where imported claims and links came from (read-only: an import writes these)."""

    list_display = ["__str__", "tool", "creator_iri", "creator_name", "created", "imported_at"]
    list_filter = ["tool"]
    search_fields = ["original_id", "canonical", "creator_iri", "creator_name"]
    raw_id_fields = ["claim", "link", "imported_by"]
    readonly_fields = [f.name for f in Provenance._meta.fields]


@admin.register(OrphanedAnnotation)
class OrphanedAnnotationAdmin(admin.ModelAdmin):
    """Imported annotations whose words are in no article of their story, kept for curators."""

    list_display = ["original_id", "story", "tool", "quote", "created_at"]
    list_filter = ["tool"]
    list_select_related = ["story"]
    search_fields = ["original_id", "quote"]
    raw_id_fields = ["story", "imported_by"]
