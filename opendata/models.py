"""Personal API tokens for the Web Annotation protocol and the JSON API.

A token is shown once, when it is made; only its SHA-256 is stored. Tokens are 256-bit random
strings, so a fast hash is enough (there is nothing to brute-force, unlike a password).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class ApiToken(models.Model):
    """A personal token: ``Authorization: Bearer <token>`` acts as ``user``."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, help_text="What the token is for, for its owner.")
    key_hash = models.CharField(
        max_length=64, unique=True, help_text="SHA-256 of the token (hex); the token is not kept."
    )
    hint = models.CharField(
        max_length=12, help_text="The token's first characters, to tell tokens apart."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(key_hash__regex=r"^[0-9a-f]{64}$"), name="apitoken_key_hash_sha256"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.hint}…)"
