"""Form fields shared by every app."""

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator


def normalise_newlines(text: str) -> str:
    """Browsers send a line break in a text box as CR LF but count it as one character."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def too_long_message(*, length: int, limit: int) -> str:
    """The one way intch says a text is too long (forms and services alike)."""
    excess = length - limit
    return (
        f"This is {length:,} characters long and the limit is {limit:,}: "
        f"please shorten it by {excess:,} character{'' if excess == 1 else 's'}."
    )


class TextLengthValidator(MaxLengthValidator):
    """MaxLengthValidator with a message that says how much to cut."""

    def __call__(self, value):
        length, limit = self.clean(value), self.limit_value
        if length > limit:
            raise ValidationError(
                too_long_message(length=length, limit=limit),
                code="max_length",
                params={"limit_value": limit, "show_value": length, "value": value},
            )


class LongTextField(forms.CharField):
    """A text box that never cuts what people paste.

    A `maxlength` attribute makes browsers drop whatever a paste has beyond the limit, silently
    and mid-word. This field leaves it out: `data-maxlength` lets static/js/intch.js show a
    live count instead, and the server refuses a text that is too long with a message that
    says by how much, the whole text kept in the box.
    """

    widget = forms.Textarea

    def __init__(self, *, max_length: int, **kwargs):
        super().__init__(max_length=max_length, **kwargs)
        self.validators = [
            *(v for v in self.validators if not isinstance(v, MaxLengthValidator)),
            TextLengthValidator(max_length),
        ]

    def to_python(self, value):
        value = super().to_python(value)
        return normalise_newlines(value) if value else value

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.pop("maxlength", None)
        attrs["data-maxlength"] = str(self.max_length)
        return attrs
