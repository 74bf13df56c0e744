"""Every email intch sends has a text part and an HTML part, both in the site's voice and look.

allauth's emails go through profiles.adapters.AccountAdapter.render_mail, intch's own through
email_message(); both end here. Text templates end with the standard signature delimiter
("-- " on a line of its own) before the sign-off, so an HTML part made from a text part leaves
the sign-off to the HTML layout's footer.
"""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string

from intch.inputs import header_text

SIGNATURE_DELIMITER = "\n-- \n"


def email_context(context: dict | None = None) -> dict:
    """What every email template may use: the site's name and address, then `context`."""
    return {"site_name": settings.SITE_NAME, "site_url": settings.SITE_URL, **(context or {})}


def html_from_text(text: str, context: dict, *, request=None) -> str:
    """The HTML part of an email that has only a text template: its words in the layout."""
    body = text.split(SIGNATURE_DELIMITER, 1)[0].strip()
    return render_to_string(
        "email/from_text.html", email_context({**context, "text": body}), request
    )


def email_bodies(
    *, text_template: str, html_template: str | None, context: dict, request=None
) -> tuple[str, str]:
    """(text, html) of one email; the HTML comes from the text where there is no template."""
    context = email_context(context)
    text = render_to_string(text_template, context, request).strip()
    if html_template:
        try:
            return text, render_to_string(html_template, context, request).strip()
        except TemplateDoesNotExist:
            pass
    return text, html_from_text(text, context, request=request)


def email_message(
    *,
    subject: str,
    to: list[str],
    text_template: str,
    html_template: str | None = None,
    context: dict | None = None,
    headers: dict | None = None,
) -> EmailMultiAlternatives:
    """An email of intch's own (notifications, moderation), ready to send."""
    text, html = email_bodies(
        text_template=text_template, html_template=html_template, context=context or {}
    )
    # A subject often holds a person's name: one line, whatever is stored (a line break in a
    # header would make the email fail to send).
    message = EmailMultiAlternatives(
        subject=header_text(subject), body=text, to=to, headers=headers
    )
    message.attach_alternative(html, "text/html")
    return message
