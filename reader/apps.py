from django.apps import AppConfig


class ReaderConfig(AppConfig):
    """The reading page: columns side by side, marks, panels, highlighting and linking, live."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "reader"
    verbose_name = "Reader"
