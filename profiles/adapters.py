"""allauth hooks: where people land after signing up, who may sign up, how emails look."""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialApp
from django.http import Http404
from django.urls import reverse

from intch.emails import email_context, html_from_text
from intch.outbox import email_enqueue
from profiles.selectors import person_name
from profiles.services import profile_ensure


def user_display(user):
    """How allauth names a person on its pages and in its emails (ACCOUNT_USER_DISPLAY): as
    intch does everywhere else."""
    return person_name(user=user)


class AccountAdapter(DefaultAccountAdapter):
    def render_mail(self, template_prefix, email, context, headers=None):
        """allauth's emails with the site's name and address, and an HTML part like intch's
        own (intch/emails.py)."""
        context = email_context(context)
        message = super().render_mail(template_prefix, email, context, headers=headers)
        if not any(mimetype == "text/html" for _, mimetype in getattr(message, "alternatives", ())):
            message.attach_alternative(html_from_text(message.body, context), "text/html")
        return message

    def send_mail(self, template_prefix, email, context):
        """allauth's emails leave through the outbox, like every email of intch: recorded
        now, sent after commit by a task (intch/outbox.py)."""
        message = self.render_mail(template_prefix, email, context)
        email_enqueue(
            message=message,
            kind=f"account.{template_prefix.rsplit('/', 1)[-1]}",
            user=context.get("user"),
        )

    def save_user(self, request, user, form, commit=True):
        """Every new account gets its (empty) profile at once."""
        user = super().save_user(request, user, form, commit=commit)
        if commit:
            profile_ensure(user=user)
        return user

    def get_signup_redirect_url(self, request):
        return reverse("profiles:onboarding")

    def get_login_redirect_url(self, request):
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
