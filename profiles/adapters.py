"""allauth hooks: where people land after signing up, and who may sign up."""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
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


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    pass
