"""Accounts: the person's login (keyed by their email address) and who blocked whom."""

from typing import Any, ClassVar

from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone


class AccountManager(BaseUserManager["User"]):
    """Accounts are created by email address; there is no username."""

    use_in_migrations = True

    def _create(self, email: str, password: str | None, **extra_fields: Any) -> "User":
        if not email:
            raise ValueError("An account needs an email address.")
        user = self.model(email=self.normalize_email(email), **extra_fields)
        user.password = make_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra_fields: Any) -> "User":
        """A member's account."""
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create(email, password, **extra_fields)

    def create_superuser(
        self, email: str, password: str | None = None, **extra_fields: Any
    ) -> "User":
        """A staff account with every permission (ensure_admin, createsuperuser)."""
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        if extra_fields["is_staff"] is not True or extra_fields["is_superuser"] is not True:
            raise ValueError("A superuser has is_staff=True and is_superuser=True.")
        return self._create(email, password, **extra_fields)


class User(AbstractUser):
    """A person's account. They log in with their email address; nobody has a username."""

    username = None  # type: ignore[assignment]
    email = models.EmailField("email address", unique=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects: ClassVar[AccountManager] = AccountManager()  # type: ignore[assignment]

    class Meta:
        verbose_name = "user"
        verbose_name_plural = "users"
        indexes = [
            # Searches leave suspended people out with an anti-join on the few inactive
            # accounts (profiles.selectors.people_found): this index holds only those.
            models.Index(
                fields=("id",), condition=models.Q(is_active=False), name="accounts_inactive"
            ),
        ]

    def __str__(self) -> str:
        return self.email

    @property
    def email_name(self) -> str:
        """What a person is called before they give a name: their address's local part."""
        return self.email.split("@")[0]


class Block(models.Model):
    """blocker no longer sees blocked, and blocked no longer sees blocker, anywhere."""

    blocker = models.ForeignKey(User, on_delete=models.CASCADE, related_name="blocks_made")
    blocked = models.ForeignKey(User, on_delete=models.CASCADE, related_name="blocks_received")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=("blocker", "blocked"), name="unique_block"),
            models.CheckConstraint(
                condition=~models.Q(blocker=models.F("blocked")), name="no_self_block"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.blocker_id} blocked {self.blocked_id}"
