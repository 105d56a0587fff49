from django.apps import AppConfig


class NewsroomConfig(AppConfig):
    """Making and editing stories: bringing articles in, editing their text (claims follow)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "newsroom"
    verbose_name = "Newsroom"
