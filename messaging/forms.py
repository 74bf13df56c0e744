import uuid

from django import forms

from intch.inputs import CleanInputsForm
from messaging.models import (
    INTRO_MAX_LENGTH,
    MESSAGE_MAX_LENGTH,
    REPORT_DETAILS_MAX_LENGTH,
    Report,
)


def _token_field():
    # A fresh token per rendered form: submitting the same form twice sends one message.
    return forms.UUIDField(widget=forms.HiddenInput, required=False, initial=uuid.uuid4)


class IntroForm(CleanInputsForm, forms.Form):
    text = forms.CharField(
        label="Your introduction",
        max_length=INTRO_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6, "maxlength": INTRO_MAX_LENGTH}),
        help_text=(
            f"Say who you are and why you would like to talk. Up to {INTRO_MAX_LENGTH:,} "
            "characters. They can accept or decline; until they accept you cannot send more."
        ),
    )
    prompt = forms.ChoiceField(
        label="What made you reach out?",
        required=False,
        help_text="Something you share, shown with your introduction.",
    )
    client_token = _token_field()

    def __init__(self, *args, topics=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["prompt"].choices = [("", "Nothing in particular")] + [
            (topic, topic) for topic in topics
        ]
        if not topics:
            del self.fields["prompt"]


class MessageForm(CleanInputsForm, forms.Form):
    body = forms.CharField(
        label="Message",
        max_length=MESSAGE_MAX_LENGTH,
        widget=forms.Textarea(
            attrs={"rows": 2, "maxlength": MESSAGE_MAX_LENGTH, "data-composer-input": ""}
        ),
    )
    client_token = _token_field()


class ReportForm(CleanInputsForm, forms.Form):
    reason = forms.ChoiceField(
        label="What is wrong?", choices=Report.Reason.choices, widget=forms.RadioSelect
    )
    details = forms.CharField(
        label="Anything the moderators should know",
        required=False,
        max_length=REPORT_DETAILS_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": REPORT_DETAILS_MAX_LENGTH}),
    )
    also_block = forms.BooleanField(label="Also block this person", required=False, initial=True)
