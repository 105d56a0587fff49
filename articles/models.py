"""Sources, stories and the articles read side by side.

Offsets everywhere in Parallax index into ``Article.body`` (Python ``str`` indices, i.e. code
points), so the body is stored normalised: Unicode NFC with ``\\n`` line ends.
"""

from __future__ import annotations

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

#: The text search configuration created by migration 0001: ``simple`` + ``unaccent``, so
#: "chi phi dao tao" matches "chi phí đào tạo" and ts_headline can mark the accented words.
SEARCH_CONFIG = "parallax_unaccent"


class Source(models.Model):
    """An outlet that publishes articles."""

    name = models.CharField(max_length=200, unique=True)
    homepage = models.URLField(blank=True)
    language = models.CharField(max_length=16, default="vi", help_text="BCP 47 language tag.")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Story(models.Model):
    """One event covered by several articles: the unit of side-by-side reading."""

    slug = models.SlugField(max_length=120, unique=True)
    title = models.CharField(max_length=300)
    note = models.TextField(blank=True, help_text="What the story is about, for readers.")
    language = models.CharField(max_length=16, default="vi")
    desk = models.ForeignKey(
        "teams.Team",
        null=True,
        blank=True,
        on_delete=models.PROTECT,  # a desk with stories cannot vanish with them; move them first
        related_name="stories",
        help_text="The desk (team) that owns the story: its curators and admins curate it. "
        "Empty: a site-wide story, curated by staff.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "pk"]
        verbose_name_plural = "stories"

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("reader:story_read", kwargs={"slug": self.slug})


class Article(models.Model):
    """One source's article in a story. ``body`` is NFC text with ``\\n`` line ends."""

    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="articles")
    source = models.ForeignKey(
        Source, on_delete=models.PROTECT, related_name="articles", null=True, blank=True
    )
    position = models.PositiveIntegerField(
        default=0, help_text="Default column order in the reader (lowest first)."
    )
    title = models.CharField(max_length=500)
    author = models.CharField(max_length=200, blank=True)
    published_on = models.DateField(null=True, blank=True)
    language = models.CharField(max_length=16, default="vi")
    translated_from = models.CharField(
        max_length=200, blank=True, help_text="Outlet the article was translated from, if any."
    )
    translated_from_url = models.URLField(blank=True)
    translation_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,  # the translation stays when its original is removed
        related_name="translations",
        help_text="The article in the same story that this one translates, if it is there.",
    )
    url = models.URLField(
        max_length=2000, blank=True, help_text="Address the article was fetched from, if any."
    )
    file_name = models.CharField(
        max_length=255, blank=True, help_text="Name of the file it was imported from, if any."
    )
    body = models.TextField(help_text="Plain text, Unicode NFC, \\n line ends.")
    body_hash = models.CharField(
        max_length=64, editable=False, help_text="SHA-256 of the UTF-8 body, hex."
    )
    search_vector = models.GeneratedField(
        expression=SearchVector("title", weight="A", config=SEARCH_CONFIG)
        + SearchVector("body", weight="B", config=SEARCH_CONFIG),
        output_field=SearchVectorField(),
        db_persist=True,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["story", "position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["story", "file_name"],
                condition=~models.Q(file_name=""),
                name="article_unique_file_per_story",
            ),
            models.CheckConstraint(
                condition=~models.Q(body=""), name="article_body_not_empty"
            ),
            models.CheckConstraint(
                condition=models.Q(body_hash__regex=r"^[0-9a-f]{64}$"),
                name="article_body_hash_sha256",
            ),
        ]
        indexes = [
            GinIndex(fields=["search_vector"], name="article_search_gin"),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if self.translation_of_id is not None:
            if self.pk is not None and self.translation_of_id == self.pk:
                raise ValidationError(
                    {"translation_of": _("An article cannot be a translation of itself.")}
                )
            if self.translation_of.story_id != self.story_id:
                raise ValidationError(
                    {"translation_of": _("The original must be an article of the same story.")}
                )

    @property
    def short_label(self) -> str:
        """A short name that tells columns apart: the outlet, or the title's first words."""
        if self.source_id:
            return self.source.name
        words = self.title.split()
        return " ".join(words[:4]) + ("…" if len(words) > 4 else "")
