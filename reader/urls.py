from django.urls import path

from . import live

app_name = "reader"

urlpatterns = [
    path("stories/<slug:slug>/live/", live.story_stream, name="story_stream"),
    path("stories/<slug:slug>/presence/", live.presence_update, name="presence_update"),
    path("stories/<slug:slug>/activity/", live.story_activity, name="story_activity"),
]
