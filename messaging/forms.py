import uuid

from django import forms

from intch.forms import LongTextField
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
    text = LongTextField(
        label="Your introduction",
        max_length=INTRO_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": "Write your introduction first."},
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
    body = LongTextField(
        label="Message",
        max_length=MESSAGE_MAX_LENGTH,
        error_messages={"required": "Write a message first."},
        widget=forms.Textarea(
            attrs={
                "rows": 2,
                "placeholder": "Write a message",
                "aria-describedby": "composer-help",
                # static/js: Send stays off while the box is empty or over the limit, and the
                # count shows once the message nears the limit.
                "data-composer-input": "",
                "data-disable-submit": "",
                "data-count-from": str(MESSAGE_MAX_LENGTH * 4 // 5),
            }
        ),
    )
    client_token = _token_field()


class ReportForm(CleanInputsForm, forms.Form):
    reason = forms.ChoiceField(
        label="What is wrong?", choices=Report.Reason.choices, widget=forms.RadioSelect
    )
    details = LongTextField(
        label="Anything the moderators should know",
        required=False,
        max_length=REPORT_DETAILS_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    also_block = forms.BooleanField(label="Also block this person", required=False, initial=True)
