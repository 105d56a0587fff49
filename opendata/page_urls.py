from django.urls import path

from . import views

app_name = "opendata_pages"

# Included at /stories/ (before the reader): pages for people, outside the JSON API's /annotations/.
urlpatterns = [
    path("<slug:slug>/import/", views.import_page, name="import"),
]
