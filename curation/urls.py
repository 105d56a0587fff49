from django.urls import path

from . import views

app_name = "curation"

urlpatterns = [
    path("curation/review/", views.review_queue, name="review_queue"),
    path("stories/<slug:slug>/matrix/", views.matrix, name="matrix"),
    path("stories/<slug:slug>/matrix.csv", views.matrix_csv, name="matrix_csv"),
    path("stories/<slug:slug>/canonical/", views.canonical_create, name="canonical_create"),
    path("curation/canonical/<int:pk>/", views.canonical_detail, name="canonical_detail"),
    path("links/<int:link_pk>/verdict/", views.verdict, name="verdict"),
    path("stories/<slug:slug>/agreement/", views.agreement, name="agreement"),
    path("stories/<slug:slug>/orphans/", views.orphans, name="orphans"),
    path(
        "curation/orphans/<int:pk>/<slug:action>/", views.orphan_action, name="orphan_action"
    ),
    path("stories/<slug:slug>/history/", views.story_history, name="story_history"),
    path(
        "curation/history/<slug:object_type>/<int:object_id>/",
        views.object_history,
        name="object_history",
    ),
    path("curation/restore/<int:event_pk>/", views.claim_restore, name="claim_restore"),
]
