from django.urls import path

from . import live, views

app_name = "reader"

urlpatterns = [
    path("stories/<slug:slug>/", views.story_read, name="story_read"),
    path("stories/<slug:slug>/connections/", views.story_connections, name="story_connections"),
    path("articles/<int:article_pk>/claims/", views.claim_create, name="claim_create"),
    path("claims/<int:pk>/edit/", views.claim_edit, name="claim_edit"),
    path("claims/<int:pk>/delete/", views.claim_delete, name="claim_delete"),
    path("links/", views.link_create, name="link_create"),
    path("links/<int:pk>/edit/", views.link_edit, name="link_edit"),
    path("links/<int:pk>/delete/", views.link_delete, name="link_delete"),
    path("reader/visibility/", views.visibility_choose, name="visibility_choose"),
    path("stories/<slug:slug>/live/", live.story_stream, name="story_stream"),
    path("stories/<slug:slug>/presence/", live.presence_update, name="presence_update"),
    path("stories/<slug:slug>/activity/", live.story_activity, name="story_activity"),
]
