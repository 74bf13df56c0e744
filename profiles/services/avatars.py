"""Writes for a person's picture: checked, re-encoded, stored, and gone when replaced."""

import io
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from PIL import Image, ImageOps, UnidentifiedImageError

from accounts.models import User
from profiles.models import Profile
from profiles.services.people import profile_changed

# (x, y, size): the square a person chose, in pixels of the upright picture.
Crop = tuple[int, int, int]
AVATAR_MAX_BYTES = 5 * 1024 * 1024
AVATAR_MAX_PIXELS = 40_000_000
AVATAR_SIZE = 256
# A chosen square smaller than this (in the picture's pixels) would be a blur at AVATAR_SIZE.
AVATAR_CROP_MIN = 64
AVATAR_FORMATS = {"JPEG", "PNG", "WEBP"}


def avatar_process(*, uploaded: Any, crop: Crop | None = None) -> ContentFile[bytes]:
    """Re-encode an uploaded image as a square WebP thumbnail with no metadata.

    `crop` (x, y, size) is the square the person chose, in pixels of the picture as it is
    shown (turned upright by its EXIF orientation); without it, the middle square is used.
    Raises ValidationError for anything that is not a real JPEG, PNG or WebP image, for files
    over 5 MB, for decompression bombs, and for a square that does not fit the picture.
    """
    if uploaded.size > AVATAR_MAX_BYTES:
        raise ValidationError("The picture is larger than 5 MB. Please choose a smaller one.")
    refused = ValidationError("Upload a JPEG, PNG or WebP picture. This file is not one of them.")
    try:
        uploaded.seek(0)
        with Image.open(uploaded) as probe:
            if probe.format not in AVATAR_FORMATS:
                raise refused
            width, height = probe.size
            if width * height > AVATAR_MAX_PIXELS:
                raise ValidationError(
                    "The picture has too many pixels. Please choose a smaller one."
                )
            probe.verify()
        uploaded.seek(0)
        with Image.open(uploaded) as opened:
            upright = ImageOps.exif_transpose(opened)
            image = upright.convert("RGBA" if upright.mode in ("RGBA", "LA", "P") else "RGB")
            if crop is None:
                thumbnail = ImageOps.fit(
                    image, (AVATAR_SIZE, AVATAR_SIZE), Image.Resampling.LANCZOS
                )
            else:
                x, y, size = _checked_crop(crop, image.size)
                thumbnail = image.resize(
                    (AVATAR_SIZE, AVATAR_SIZE),
                    Image.Resampling.LANCZOS,
                    box=(x, y, x + size, y + size),
                )
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise refused from None
    output = io.BytesIO()
    # A fresh image carries no EXIF or GPS data.
    clean = Image.new(thumbnail.mode, thumbnail.size)
    clean.paste(thumbnail)
    clean.save(output, format="WEBP", quality=85)
    return ContentFile(output.getvalue(), name="avatar.webp")


def _checked_crop(crop: Crop, image_size: tuple[int, int]) -> Crop:
    """The chosen square as whole pixels, or a ValidationError saying why it cannot be used."""
    width, height = image_size
    try:
        x, y, size = (int(value) for value in crop)
    except (TypeError, ValueError):
        raise ValidationError("Choose the square of your picture again.") from None
    smallest = min(AVATAR_CROP_MIN, width, height)
    if size < smallest:
        raise ValidationError(
            f"The square is too small: choose at least {smallest} pixels of the picture."
        )
    if x < 0 or y < 0 or x + size > width or y + size > height:
        raise ValidationError(
            f"The square you chose does not fit in the picture ({width} × {height} pixels). "
            "Choose it again."
        )
    return x, y, size


def profile_avatar_set(*, profile: Profile, uploaded: Any, crop: Crop | None = None) -> Profile:
    """Validate, re-encode (cropped to `crop`, or the middle) and store a new avatar."""
    return profile_avatar_store(
        profile=profile, content=avatar_process(uploaded=uploaded, crop=crop)
    )


def profile_avatar_store(*, profile: Profile, content: ContentFile[bytes]) -> Profile:
    """Store an avatar made by avatar_process; the old picture's file goes once committed."""
    old_name = profile.avatar.name if profile.avatar else ""
    storage = profile.avatar.storage
    profile.avatar.save("avatar.webp", content, save=True)
    if old_name and old_name != profile.avatar.name:
        # Avatars are served without a login check: a replaced picture must not stay online.
        transaction.on_commit(lambda: storage.delete(old_name))
    profile_changed(profile, fields={"avatar"})
    return profile


def profile_avatar_remove(*, profile: Profile) -> Profile:
    """Remove the avatar; the initials avatar shows instead."""
    if profile.avatar:
        profile.avatar.delete(save=True)
        profile_changed(profile, fields={"avatar"})
    return profile


def profile_avatar_forget(*, user: User) -> None:
    """A leaving person's picture: its file goes once the deletion is committed (the
    pictures are served without a login check)."""
    profile = Profile.objects.filter(user=user).first()
    if profile is None or not profile.avatar:
        return
    name, storage = str(profile.avatar.name), profile.avatar.storage
    transaction.on_commit(lambda: storage.delete(name))
