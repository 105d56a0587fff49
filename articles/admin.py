from django.contrib import admin
from django.db import models
from django.db.models import Count

from curation.forms import ArticleAdminForm

from . import services
from .models import Article, Source, Story


#: Links typed without a scheme are https (Django 6's default; silences the 5.x warning).
URL_FIELDS_ASSUME_HTTPS = {models.URLField: {"assume_scheme": "https"}}


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    formfield_overrides = URL_FIELDS_ASSUME_HTTPS
    list_display = ["name", "language", "homepage", "article_count"]
    list_filter = ["language"]
    search_fields = ["name", "homepage"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(article_count=Count("articles"))

    @admin.display(ordering="article_count", description="Articles")
    def article_count(self, obj: Source) -> int:
        return obj.article_count


class ArticleInline(admin.TabularInline):
    model = Article
    fields = ["position", "title", "source", "author", "file_name"]
    readonly_fields = ["file_name"]
    show_change_link = True
    extra = 0
    autocomplete_fields = ["source"]


@admin.register(Story)
class StoryAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "desk", "language", "article_count", "created_at"]
    list_filter = ["desk", "language", "created_at"]
    list_select_related = ["desk"]
    search_fields = ["title", "slug", "note"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [ArticleInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(article_count=Count("articles"))

    @admin.display(ordering="article_count", description="Articles")
    def article_count(self, obj: Story) -> int:
        return obj.article_count


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    formfield_overrides = URL_FIELDS_ASSUME_HTTPS
    list_display = ["title", "story", "source", "author", "translated_from", "language", "position"]
    list_filter = ["story", "source", "language", "translated_from"]
    list_select_related = ["story", "source"]
    search_fields = ["title", "author", "file_name", "story__title", "source__name"]
    autocomplete_fields = ["story", "source"]
    readonly_fields = ["body_hash", "file_name", "created_at", "updated_at"]
    # Warns before saving a body edit that would orphan claims (see curation.anchoring).
    form = ArticleAdminForm
    fields = [
        "story", "source", "position", "title", "author", "published_on", "language",
        "translated_from", "translated_from_url", "file_name", "body", "orphan_ok", "body_hash",
        "created_at", "updated_at",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("search_vector")

    def save_model(self, request, obj, form, change):
        # The same service as everywhere else keeps the body NFC, \n-terminated and hashed.
        services.article_update(article=obj)
