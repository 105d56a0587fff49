from django.urls import path

from . import views

app_name = "newsroom"

urlpatterns = [
    path("stories/new/", views.story_new, name="story_new"),
    path("stories/<slug:slug>/add/", views.intake_page, name="intake"),
    path("stories/<slug:slug>/add/items/", views.intake_add, name="intake_add"),
    path("stories/<slug:slug>/add/store/", views.intake_store, name="intake_store"),
    path("stories/<slug:slug>/add/items/<int:pk>/", views.item_view, name="item"),
    path("stories/<slug:slug>/add/items/<int:pk>/action/", views.item_action, name="item_action"),
    path("stories/<slug:slug>/articles/", views.manage_page, name="manage"),
    path("stories/<slug:slug>/articles/<int:pk>/", views.article_update, name="article_update"),
    path("stories/<slug:slug>/articles/<int:pk>/move/", views.article_move, name="article_move"),
    path("stories/<slug:slug>/articles/<int:pk>/remove/", views.article_remove, name="article_remove"),
    path("stories/<slug:slug>/articles/<int:pk>/trim/", views.article_trim, name="article_trim"),
    path("stories/<slug:slug>/pair/<int:pk>/", views.translation_pair, name="pair"),
]
