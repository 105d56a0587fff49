from django.urls import path

from . import views

app_name = "suggestions"

urlpatterns = [
    path("stories/<slug:slug>/suggestions/", views.story_suggestions, name="story"),
    path("stories/<slug:slug>/suggestions/refresh/", views.story_refresh, name="refresh"),
    path("stories/<slug:slug>/suggestions/<int:pk>/accept/", views.suggestion_accept, name="accept"),
    path("stories/<slug:slug>/suggestions/<int:pk>/dismiss/", views.suggestion_dismiss, name="dismiss"),
    path("stories/<slug:slug>/suggestions/<int:pk>/restore/", views.suggestion_restore, name="restore"),
    path("claims/<int:pk>/memory/", views.claim_memory, name="claim_memory"),
]
