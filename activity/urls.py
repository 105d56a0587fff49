from django.urls import path

from . import views

app_name = "activity"

urlpatterns = [
    path("stories/<slug:slug>/live/", views.story_stream, name="story_stream"),
    path("stories/<slug:slug>/presence/", views.presence_update, name="presence_update"),
    path("stories/<slug:slug>/activity/", views.story_activity, name="story_activity"),
]
