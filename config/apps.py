from django.apps import AppConfig


class SiteConfig(AppConfig):
    """The project's own settings package as an app, for its system checks (config/checks.py)."""

    name = "config"
    label = "site_config"
    verbose_name = "Site configuration"

    def ready(self) -> None:
        from . import checks  # noqa: F401 - registers the deploy check
