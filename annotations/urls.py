from django.urls import path

app_name = "annotations"

try:  # TEMP-GUARD: until the annotations domain lands
    from . import views
except ImportError:
    views = None

urlpatterns = [] if views is None else [
    path("articles/<int:article_pk>/claims/", views.claim_create, name="claim_create"),
    path("claims/<int:pk>/edit/", views.claim_edit, name="claim_edit"),
    path("claims/<int:pk>/delete/", views.claim_delete, name="claim_delete"),
    path("links/", views.link_create, name="link_create"),
    path("links/<int:pk>/edit/", views.link_edit, name="link_edit"),
    path("links/<int:pk>/delete/", views.link_delete, name="link_delete"),
    path("stories/<slug:slug>/connections/", views.story_connections, name="story_connections"),
]
