"""The article admin: a body edit goes through ``newsroom.services.article_edit``, so claims
follow their words, and the form warns before an edit would orphan any."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext as _

from articles.admin import URL_FIELDS_ASSUME_HTTPS
from articles.models import Article
from articles.services import article_create

from .forms import ArticleAdminForm
from .services import EDITABLE_FIELDS, article_edit


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    formfield_overrides = URL_FIELDS_ASSUME_HTTPS
    list_display = ["title", "story", "source", "author", "translated_from", "language", "position"]
    list_filter = ["story", "source", "language", "translated_from"]
    list_select_related = ["story", "source"]
    search_fields = ["title", "author", "file_name", "story__title", "source__name"]
    autocomplete_fields = ["story", "source"]
    raw_id_fields = ["translation_of"]
    form = ArticleAdminForm
    fields = [
        "story", "source", "position", "title", "author", "published_on", "language",
        "translated_from", "translated_from_url", "translation_of", "url", "file_name", "body", "orphan_ok", "body_hash",
        "created_at", "updated_at",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("search_vector")

    def get_readonly_fields(self, request, obj=None):
        readonly = ["body_hash", "file_name", "created_at", "updated_at"]
        # The claims and links on an article belong to its story: it cannot move to another.
        return readonly + ["story"] if obj is not None else readonly

    def save_model(self, request, obj, form, change):
        if not change:
            fields = {
                name: value for name, value in form.cleaned_data.items()
                if name in EDITABLE_FIELDS and name != "body"
            }  # fmt: skip
            created = article_create(story=obj.story, body=obj.body, **fields)
            obj.pk, obj.body, obj.body_hash = created.pk, created.body, created.body_hash
            return
        fields = {
            name: form.cleaned_data[name] for name in form.changed_data if name in EDITABLE_FIELDS
        }
        edit = article_edit(user=request.user, article=obj, **fields)
        if edit.moved or edit.orphaned:
            self.message_user(
                request,
                _("Claims: %(moved)d followed their words, %(orphaned)d orphaned.")
                % {"moved": edit.moved, "orphaned": edit.orphaned},
                messages.WARNING if edit.orphaned else messages.INFO,
            )
