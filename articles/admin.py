from django.contrib import admin
from django.db import models
from django.db.models import Count

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
    """A story's articles in order. Articles are added and their text edited on their own page
    (``newsroom.admin``), where the body is normalised and claims follow an edit."""

    model = Article
    fields = ["position", "title", "source", "author", "file_name"]
    readonly_fields = ["file_name"]
    show_change_link = True
    extra = 0
    autocomplete_fields = ["source"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # a row here has no body; the article's own page has one


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
