"""allauth hooks: where people land after signing up, and who may sign up."""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialApp
from django.http import Http404
from django.urls import reverse


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request, user, form, commit=True):
        """Every new account gets its (empty) profile at once."""
        user = super().save_user(request, user, form, commit=commit)
        if commit:
            from profiles.services import profile_ensure

            profile_ensure(user=user)
        return user

    def get_signup_redirect_url(self, request):
        return reverse("profiles:onboarding")

    def get_login_redirect_url(self, request):
        from profiles.services import profile_ensure

        if profile_ensure(user=request.user).onboarded_at is None:
            return reverse("profiles:onboarding")
        return super().get_login_redirect_url(request)


class ProviderNotConfigured(SocialApp.DoesNotExist, Http404):
    """No credentials for this provider: a 404 to the browser, DoesNotExist to allauth."""


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def get_app(self, request, provider, client_id=None):
        # Every provider's URLs are installed, configured or not (see settings): without this,
        # anyone could turn /accounts/google/login/ into a server error at will.
        try:
            return super().get_app(request, provider, client_id=client_id)
        except SocialApp.DoesNotExist:
            raise ProviderNotConfigured(f"No {provider} app is configured.") from None
