"""Admin for accounts: people's logins (by email address), suspension and reactivation, blocks.

Suspending and reactivating go through accounts.services, whether staff use the actions or
tick "Active" on a person's page, so the apps react the same way (matches, conversations,
search).
"""

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts import services
from accounts.models import Block, User


class UserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)

    def clean_email(self) -> str:
        email = User.objects.normalize_email(self.cleaned_data["email"])
        if User.objects.filter(email__iexact=email).exists():
            raise ValidationError("An account with this email address already exists.")
        return email


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


def _staff(request: HttpRequest) -> User | None:
    """The staff member acting (the admin is only for logged-in staff)."""
    return request.user if isinstance(request.user, User) else None


def _each(request: HttpRequest, users: QuerySet[User], service: Callable[..., User]) -> int:
    """Run `service(user=..., moderator=...)` for each of `users`; how many there were."""
    chosen = list(users)
    for user in chosen:
        service(user=user, moderator=_staff(request))
    return len(chosen)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserEditForm
    add_form = UserCreationForm
    list_display = ("email", "is_active", "is_staff", "date_joined", "last_login")
    list_filter = ("is_active", "is_staff", "is_superuser")
    search_fields = ("email",)
    ordering = ("-date_joined",)
    show_full_result_count = False
    actions = ("suspend", "reactivate")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (
            "Permissions",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "usable_password", "password1", "password2"),
            },
        ),
    )

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        """Ticking "Active" suspends or reactivates through the services."""
        if not (change and "is_active" in form.changed_data):
            super().save_model(request, obj, form, change)
            return
        active = obj.is_active
        obj.is_active = not active
        super().save_model(request, obj, form, change)
        if active:
            services.account_reactivate(user=obj, moderator=_staff(request))
        else:
            services.account_suspend(user=obj, moderator=_staff(request))

    @admin.action(description="Suspend the selected accounts", permissions=["change"])
    def suspend(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        count = _each(request, queryset.filter(is_active=True), services.account_suspend)
        self.message_user(
            request,
            f"Suspended {count} account(s). They cannot log in and no longer appear in "
            "matches, search or conversations.",
            messages.WARNING,
        )

    @admin.action(description="Reactivate the selected accounts", permissions=["change"])
    def reactivate(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        count = _each(request, queryset.filter(is_active=False), services.account_reactivate)
        self.message_user(
            request,
            f"Reactivated {count} account(s). They can log in again and are back in "
            "matches, search and conversations.",
            messages.SUCCESS,
        )


@admin.register(Block)
class BlockAdmin(admin.ModelAdmin):
    """Read-only: people block each other themselves. Deleting a block lifts it."""

    list_display = ("blocker", "blocked", "created_at")
    list_select_related = ("blocker", "blocked")
    search_fields = ("blocker__email", "blocked__email")
    readonly_fields = ("blocker", "blocked", "created_at")
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def delete_model(self, request: HttpRequest, obj: Block) -> None:
        services.block_delete(blocker=obj.blocker, blocked=obj.blocked)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Block]) -> None:
        for block in queryset.select_related("blocker", "blocked"):
            services.block_delete(blocker=block.blocker, blocked=block.blocked)
