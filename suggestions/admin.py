from django.contrib import admin

from .models import Decision, SuggestionRun


@admin.register(SuggestionRun)
class SuggestionRunAdmin(admin.ModelAdmin):
    list_display = ["story", "status", "progress", "created_at", "finished_at"]
    list_filter = ["status", "story"]
    list_select_related = ["story"]
    readonly_fields = ["story", "status", "progress", "body_hashes", "error", "created_at", "finished_at"]


@admin.register(Decision)
class DecisionAdmin(admin.ModelAdmin):
    list_display = ["story", "relation", "verdict", "user", "created_at"]
    list_filter = ["verdict", "relation", "story"]
    list_select_related = ["story", "user"]
    readonly_fields = ["story", "key", "relation", "verdict", "user", "link", "created_at"]
