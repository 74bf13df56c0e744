"""Suggested matches: each person's best K, with the reasons, and the runs that compute them."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class Match(models.Model):
    """`candidate` is suggested to `user`. A person's list is always replaced whole."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="matches"
    )
    candidate = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    rank = models.PositiveSmallIntegerField()
    score = models.PositiveSmallIntegerField()
    similarity = models.FloatField()
    # {"interests": [{"name", "slug"}, ...] rarest first, "values": [...],
    #  "goals": [[mine, theirs], ...]}
    reasons = models.JSONField(default=dict)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=("user", "candidate"), name="unique_match_pair"),
        ]
        indexes = [models.Index(fields=("user", "rank"))]
        ordering = ("user", "rank")
        verbose_name_plural = "matches"

    def __str__(self) -> str:
        return f"{self.user_id} → {self.candidate_id} ({self.score})"


class MatchState(models.Model):
    """When a person's list was last computed, and whether a recompute is on its way."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="match_state"
    )
    computed_at = models.DateTimeField(null=True, blank=True)
    requested_at = models.DateTimeField(null=True, blank=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    # People who joined after this moment are marked New: the end of the previous visit
    # (last_seen_at moves on every page view, so it cannot serve both purposes).
    new_since = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Match state of {self.user_id}"

    @property
    def is_pending(self):
        return self.requested_at is not None and (
            self.computed_at is None or self.computed_at < self.requested_at
        )


class Pass(models.Model):
    """`user` does not want `passed` suggested again."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="passes"
    )
    passed = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=("user", "passed"), name="unique_pass")]
        verbose_name_plural = "passes"

    def __str__(self) -> str:
        return f"{self.user_id} passed on {self.passed_id}"


class Saved(models.Model):
    """`user` keeps `saved` in their Saved list."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_people"
    )
    saved = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=("user", "saved"), name="unique_saved")]
        verbose_name_plural = "saved people"

    def __str__(self) -> str:
        return f"{self.user_id} saved {self.saved_id}"


class MatchRun(models.Model):
    """One full recompute, split in chunks that any number of workers process."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    reason = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    people = models.PositiveIntegerField(default=0)
    chunks_total = models.PositiveIntegerField(default=0)
    chunks_done = models.PositiveIntegerField(default=0)
    matches_written = models.PositiveBigIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ("-started_at",)

    def __str__(self) -> str:
        return f"Run {self.pk} ({self.status})"

    @property
    def duration(self):
        if self.finished_at is None:
            return None
        return self.finished_at - self.started_at


class MatchRunChunk(models.Model):
    """A slice of a run; done chunks are skipped when a task is delivered twice."""

    run = models.ForeignKey(MatchRun, on_delete=models.CASCADE, related_name="chunks")
    number = models.PositiveIntegerField()
    done_at = models.DateTimeField(null=True, blank=True)
    matches_written = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=("run", "number"), name="unique_run_chunk")]

    def __str__(self) -> str:
        return f"Run {self.run_id} chunk {self.number}"
