from django.urls import path, re_path

from . import views

app_name = "opendata"

# Included at /annotations/: the W3C container is the prefix itself.
urlpatterns = [
    path("", views.container, name="container"),
    re_path(r"^(?P<annotation_id>(?:claim|link)-\d{1,18})$", views.annotation, name="annotation"),
    path("articles/<int:pk>", views.article_text, name="article_text"),
    path("stories/<slug:slug>.jsonld", views.story_export, name="story_export"),
    path("stories/<slug:slug>.csv", views.story_csv, name="story_csv"),
    path("import", views.import_annotations, name="import"),
    path("openapi.json", views.openapi_json, name="openapi"),
    path("tokens/", views.tokens, name="tokens"),
    # Everything else under /annotations/ is a JSON 404, as the OpenAPI description says.
    re_path(r"^(?P<path>.*)$", views.not_found, name="not_found"),
]
