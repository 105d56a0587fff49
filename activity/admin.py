from django.contrib import admin

from .models import Event


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    """Read-only: the log is append-only."""

    list_display = ["id", "created_at", "story", "actor", "verb", "object_type", "object_id", "visibility"]
    list_filter = ["verb", "object_type", "visibility"]
    list_select_related = ["story", "actor"]
    search_fields = ["object_type", "=object_id"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
