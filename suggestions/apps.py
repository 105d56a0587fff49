from django.apps import AppConfig


class SuggestionsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "suggestions"
    verbose_name = "Suggested connections"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from annotations.models import Claim

        from . import memory

        def claim_saved(sender, instance, **kwargs) -> None:
            memory.remember_soon(instance.pk)

        # A claim's meaning changes with its text: re-remember it after every save (the vector is
        # looked up by the text's hash first, so an unchanged text costs one query).
        post_save.connect(claim_saved, sender=Claim, dispatch_uid="suggestions.claim_memory")
