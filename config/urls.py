from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

class FaviconRedirect(RedirectView):
    """Browsers ask for /favicon.ico whatever the page says; send them to the SVG.

    The static URL is looked up per request: with the manifest storage it only exists after
    collectstatic, which must not be needed to import the URLconf (e.g. for ``check --deploy``).
    """

    permanent = True

    def get_redirect_url(self, *args, **kwargs) -> str:
        return static("favicon.svg")


#: A database outage raised outside a view (a session saved on the way out) is a 503 too.
handler500 = "config.middleware.server_error"

urlpatterns = [
    path("", include("articles.urls")),
    path("", include("curation.urls")),
    path("annotations/", include("opendata.urls")),
    path("", include("newsroom.urls")),  # before the reader: /stories/new/ is not a slug
    path("stories/", include("opendata.page_urls")),
    path("", include("reader.urls")),
    path("", include("teams.urls")),
    path("", include("suggestions.urls")),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("favicon.ico", FaviconRedirect.as_view()),
]
