from django.urls import path

from . import views

app_name = "articles"

urlpatterns = [
    path("", views.home, name="home"),
    path("stories/<slug:slug>/", views.story_read, name="story_read"),
    path("search", views.search, name="search"),
]
