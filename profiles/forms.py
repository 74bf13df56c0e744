from django import forms
from django.core.exceptions import ValidationError
from django.db import models

from intch.forms import LongTextField
from intch.inputs import CleanInputsForm
from profiles.goals import GOAL_CHOICES
from profiles.models import BIO_MAX_LENGTH, Profile
from profiles.services import avatar_process

BASIC_FIELDS = ("display_name", "headline", "city", "country")
DETAIL_FIELDS = (
    "bio",
    "current_role",
    "company",
    "industry",
    "linkedin_url",
    "website_url",
)


def _formfield(field, **kwargs):
    """Links typed without a scheme are taken as https."""
    if isinstance(field, models.URLField):
        kwargs["assume_scheme"] = "https"
    return field.formfield(**kwargs)


class BasicsForm(CleanInputsForm, forms.ModelForm):
    class Meta:
        model = Profile
        fields = BASIC_FIELDS
        labels = {"display_name": "Your name"}
        help_texts = {
            "headline": "One line people see first, e.g. “Product designer at a fintech”."
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["display_name"].required = True
        self.fields["headline"].required = True


class GoalsForm(CleanInputsForm, forms.Form):
    goals = forms.MultipleChoiceField(
        choices=GOAL_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one goal, so we know whom to introduce."},
        help_text=(
            "Choose everything that applies; we pair complementary goals "
            "(a mentor with a mentee, hiring with job-seeking)."
        ),
    )
    open_to_meet = forms.BooleanField(
        required=False, label="I'm open to meeting people in person or on a call"
    )


class AvatarCropMixin:
    """A picture upload with the square the person chose (crop_x, crop_y, crop_size, in the
    picture's pixels; set by static/js/avatar-crop.js). Without them, the middle square."""

    def _crop_fields(self):
        for name in ("crop_x", "crop_y", "crop_size"):
            self.fields[name] = forms.IntegerField(
                required=False, min_value=0, max_value=100_000, widget=forms.HiddenInput
            )

    def clean(self):
        cleaned = super().clean()
        uploaded = cleaned.get("avatar_upload")
        if uploaded and "avatar_upload" not in self.errors:
            crop = [cleaned.get(name) for name in ("crop_x", "crop_y", "crop_size")]
            if any(value is None for value in crop):
                # Nothing chosen (no JavaScript), or a part missing: the middle square.
                crop = None
            try:
                self.processed_avatar = avatar_process(uploaded=uploaded, crop=crop)
            except ValidationError as error:
                self.add_error("avatar_upload", error)
        return cleaned


AVATAR_HELP = "JPEG, PNG or WebP, up to 5 MB. We crop it to a square and remove its metadata."
AVATAR_ACCEPT = {"accept": "image/jpeg,image/png,image/webp"}


class PhotoForm(CleanInputsForm, AvatarCropMixin, forms.Form):
    """The photo step of onboarding."""

    avatar_upload = forms.FileField(
        label="Your photo",
        help_text=AVATAR_HELP,
        # Nothing to clear on a first photo: a plain file input, without Django's "clear" box.
        widget=forms.FileInput(attrs=AVATAR_ACCEPT),
        error_messages={"required": "Choose a picture first, or skip this step."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._crop_fields()
        self.processed_avatar = None


class ProfileForm(CleanInputsForm, AvatarCropMixin, forms.ModelForm):
    goals = GoalsForm.base_fields["goals"]
    avatar_upload = forms.FileField(
        required=False,
        label="Profile picture",
        help_text=AVATAR_HELP,
        widget=forms.ClearableFileInput(attrs=AVATAR_ACCEPT),
    )
    remove_avatar = forms.BooleanField(required=False, label="Remove my picture")
    bio = LongTextField(
        label="Bio",
        required=False,
        max_length=BIO_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=f"Plain text, up to {BIO_MAX_LENGTH:,} characters. Line breaks are kept.",
    )

    class Meta:
        model = Profile
        fields = (*BASIC_FIELDS, *DETAIL_FIELDS, "open_to_meet", "discoverable")
        formfield_callback = _formfield
        labels = {
            "display_name": "Your name",
            "linkedin_url": "LinkedIn profile",
            "website_url": "Website",
            "discoverable": "Show me in other people's suggestions and searches",
            "open_to_meet": "I'm open to meeting people in person or on a call",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["display_name"].required = True
        if self.instance and self.instance.pk and not self.is_bound:
            self.initial["goals"] = self.instance.goals
        self._crop_fields()
        self.processed_avatar = None

    def clean_linkedin_url(self):
        url = self.cleaned_data.get("linkedin_url", "")
        if url and "linkedin.com/" not in url.lower():
            raise ValidationError("Enter the address of a LinkedIn profile (linkedin.com/in/…).")
        return url


class AccountDeleteForm(CleanInputsForm, forms.Form):
    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    confirm = forms.BooleanField(
        label="I understand this deletes my profile, matches and messages for good",
        error_messages={"required": "Tick the box to confirm you want to delete your account."},
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self):
        password = self.cleaned_data.get("password", "")
        if not self.user.has_usable_password():
            raise ValidationError(
                "Set a password first (Account → Password), then delete your account."
            )
        if not self.user.check_password(password):
            raise ValidationError("That password is not right.")
        return password
