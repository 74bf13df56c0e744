"""People, their profiles, and the curated interests-and-values taxonomy."""

import re
import secrets
import unicodedata
from typing import Any

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.validators import MaxLengthValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from taggit.managers import TaggableManager
from taggit.models import TagBase, TaggedItemBase

from intch.inputs import clean_line
from profiles.goals import GOAL_LABELS, bits_to_goals

TAG_NAME_MAX_LENGTH = 50
BIO_MAX_LENGTH = 2000


def normalise_tag_name(name: object) -> str:
    """Fold case, hyphens, underscores and spaces: 'Machine-Learning' -> 'machine learning'.

    Control and invisible characters go too (intch.inputs.clean_line), so a typed name with a
    NUL in it is simply unknown, never a database error.
    """
    folded = unicodedata.normalize("NFKC", clean_line(name)).casefold()
    folded = re.sub(r"[\s_\-]+", " ", folded)
    return folded.strip()


class Category(models.Model):
    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.CharField(max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ("position", "name")
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class Tag(TagBase):
    """One interest or value that people can put on their profile."""

    class Kind(models.TextChoices):
        INTEREST = "interest", "Interest"
        VALUE = "value", "Value"

    class Status(models.TextChoices):
        APPROVED = "approved", "Approved"
        PENDING = "pending", "Pending review"
        REJECTED = "rejected", "Rejected"

    normalized_name = models.CharField(max_length=100, unique=True, editable=False)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.INTEREST)
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="tags"
    )
    description = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.APPROVED)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="proposed_tags",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ("name",)
        indexes = [models.Index(fields=("kind", "status"))]

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.normalized_name = normalise_tag_name(self.name)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("profiles:tag_detail", kwargs={"slug": self.slug})

    @property
    def is_approved(self) -> bool:
        return self.status == self.Status.APPROVED


class TagAlias(models.Model):
    """Another spelling that maps to a canonical tag ('ml' -> 'Machine learning')."""

    normalized_name = models.CharField(max_length=100, unique=True)
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="aliases")

    class Meta:
        verbose_name_plural = "tag aliases"
        ordering = ("normalized_name",)

    def __str__(self) -> str:
        return f"{self.normalized_name} → {self.tag.name}"


class TaggedInterest(TaggedItemBase):
    content_object = models.ForeignKey(
        "Profile", on_delete=models.CASCADE, related_name="interest_items"
    )
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="interest_items")

    class Meta:
        unique_together = (("content_object", "tag"),)


class TaggedValue(TaggedItemBase):
    content_object = models.ForeignKey(
        "Profile", on_delete=models.CASCADE, related_name="value_items"
    )
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="value_items")

    class Meta:
        unique_together = (("content_object", "tag"),)


def avatar_upload_to(instance: "Profile", filename: str) -> str:
    # Pictures are served without a login check: a random name, so that the picture of
    # someone who hides their profile cannot be found by guessing its address.
    return f"avatars/{instance.user_id}/{secrets.token_urlsafe(16)}.webp"


class Profile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    display_name = models.CharField(max_length=80, blank=True)
    headline = models.CharField(max_length=120, blank=True)
    bio = models.TextField(blank=True, validators=[MaxLengthValidator(BIO_MAX_LENGTH)])
    city = models.CharField(max_length=80, blank=True)
    country = models.CharField(max_length=80, blank=True)
    current_role = models.CharField(max_length=100, blank=True)
    company = models.CharField(max_length=100, blank=True)
    industry = models.CharField(max_length=100, blank=True)
    linkedin_url = models.URLField(blank=True)
    website_url = models.URLField(blank=True)
    avatar = models.ImageField(upload_to=avatar_upload_to, blank=True)
    goal_bits = models.PositiveIntegerField(default=0)
    open_to_meet = models.BooleanField(default=True)
    discoverable = models.BooleanField(default=True)
    email_notifications = models.BooleanField(default=True)
    onboarded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    interests = TaggableManager(
        through=TaggedInterest, related_name="interest_profiles", blank=True
    )
    values = TaggableManager(through=TaggedValue, related_name="value_profiles", blank=True)

    class Meta:
        indexes = [
            models.Index(fields=("discoverable",)),
            models.Index(fields=("created_at",)),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("profiles:detail", kwargs={"profile_id": self.pk})

    @property
    def name(self) -> str:
        """What intch calls the person: their display name, else their address's local part."""
        return self.display_name or self.user.email_name

    @property
    def goals(self) -> list[str]:
        return bits_to_goals(self.goal_bits)

    @property
    def goal_labels(self) -> list[str]:
        return [GOAL_LABELS[code] for code in self.goals]

    @property
    def initials(self) -> str:
        words = [word for word in re.split(r"\s+", self.name) if word]
        letters = "".join(word[0] for word in words[:2]) or "?"
        return letters.upper()

    @property
    def work_line(self) -> str:
        """“Role at Company”, or "" when the headline already says it (it often does)."""
        line = " at ".join(part for part in (self.current_role, self.company) if part)
        if not line:
            return ""
        headline = normalise_tag_name(self.headline)
        if normalise_tag_name(line) in headline:
            return ""
        return line

    @property
    def location(self) -> str:
        return ", ".join(part for part in (self.city, self.country) if part)


class ProfileSearch(models.Model):
    """A person's people-search document (profiles.search.document), kept up to date by the
    services that change what it covers (services.profile_search_refresh).

    The folded text serves the SQLite fallback (LIKE on word prefixes); on PostgreSQL
    `vector` holds the same text as a weighted tsvector (name A, work B, the rest C) with a
    GIN index that migration 0001 creates there only, and only the name is kept as text
    (to order equals by): a broad search reads every row it finds, so rows stay narrow.
    Whether the account is active is not copied (a suspension or reactivation shows at once):
    searches read it from the user.
    """

    profile = models.OneToOneField(
        Profile, primary_key=True, on_delete=models.CASCADE, related_name="search"
    )
    # Copies of the profile's, so a search reads this table alone until it has its page.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    listed = models.BooleanField(default=False)  # onboarded and discoverable
    name_text = models.TextField(blank=True)
    work_text = models.TextField(blank=True)  # headline, role, company (SQLite only)
    # industry, city, country, interests, values (SQLite only)
    other_text = models.TextField(blank=True)
    vector = SearchVectorField(null=True, blank=True)

    def __str__(self) -> str:
        return f"search document of {self.profile_id}"
