"""The avatar upload refuses what is not a small, real picture, and keeps the rest of the form."""

import io
import struct
import zlib
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from profiles.services import AVATAR_MAX_BYTES
from tests.security.conftest import profile_form_data

pytestmark = pytest.mark.django_db

HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
NOT_A_PICTURE = "Upload a JPEG, PNG or WebP picture"


def _chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _bomb_png(width, height, *, rows=None):
    """A black 1-bit PNG of width × height: a few kilobytes that decode to width × height px.

    `rows` cuts the pixel data short (the header still claims the full size).
    """
    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte, then the packed pixels
    compressor = zlib.compressobj(9)
    data = b"".join(compressor.compress(row) for _ in range(height if rows is None else rows))
    data += compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", data)
        + _chunk(b"IEND", b"")
    )


def _png(size=(64, 48)):
    buffer = io.BytesIO()
    Image.new("RGB", size, (30, 140, 90)).save(buffer, format="PNG")
    return buffer.getvalue()


def _gif():
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), (200, 0, 0)).save(buffer, format="GIF")
    return buffer.getvalue()


SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'
    b"<script>alert(document.cookie)</script></svg>"
)

# Made when a test runs (the bombs take a moment to compress), not when tests are collected.
REFUSED_UPLOADS = {
    "an HTML page renamed .png": (lambda: HTML, NOT_A_PICTURE),
    "an HTML page behind a PNG signature": (lambda: b"\x89PNG\r\n\x1a\n" + HTML, NOT_A_PICTURE),
    "an SVG with a script, renamed .png": (lambda: SVG, NOT_A_PICTURE),
    "a real GIF, renamed .png": (_gif, NOT_A_PICTURE),
    "an empty file": (lambda: b"", None),
    "a picture over 5 MB": (lambda: _png() + b"\x00" * (AVATAR_MAX_BYTES + 1), "larger than 5 MB"),
    "a bomb: 20,000 × 20,000 px in a few kB": (lambda: _bomb_png(20_000, 20_000), NOT_A_PICTURE),
    "a bomb under Pillow's own limit (48 Mpx)": (
        lambda: _bomb_png(8_000, 6_000),
        "too many pixels",
    ),
    "a header claiming 60,000 × 60,000 px": (
        lambda: _bomb_png(60_000, 60_000, rows=10),
        NOT_A_PICTURE,
    ),
}


def _avatar_files(profile):
    folder = Path(settings.MEDIA_ROOT) / "avatars" / str(profile.user_id)
    return sorted(folder.iterdir()) if folder.exists() else []


@pytest.mark.parametrize("case", REFUSED_UPLOADS)
def test_a_bad_upload_is_refused_and_the_form_kept(member_client, case):
    make, message = REFUSED_UPLOADS[case]
    content = make()
    profile = member_client.profile
    stored_headline = profile.headline
    upload = SimpleUploadedFile("me.png", content, content_type="image/png")
    typed = {"headline": "Kept headline <typed>", "bio": "Kept bio\nwith two lines"}
    files_before = _avatar_files(profile)

    response = member_client.post(
        reverse("profiles:edit"), {**profile_form_data(profile, **typed), "avatar_upload": upload}
    )

    form = response.context["form"]
    assert response.status_code == 200
    assert "avatar_upload" in form.errors, form.errors
    if message:
        assert message in " ".join(form.errors["avatar_upload"])
    body = response.content.decode()
    assert "Kept headline &lt;typed&gt;" in body
    assert "Kept bio\nwith two lines" in body
    profile.refresh_from_db()
    assert profile.headline == stored_headline
    assert not profile.avatar
    assert _avatar_files(profile) == files_before, "nothing is written to the media folder"


def test_a_picture_with_a_page_appended_is_stored_as_a_clean_webp(member_client):
    profile = member_client.profile
    polyglot = SimpleUploadedFile("me.png", _png() + HTML, content_type="image/png")

    response = member_client.post(
        reverse("profiles:edit"), {**profile_form_data(profile), "avatar_upload": polyglot}
    )

    assert response.status_code == 302
    profile.refresh_from_db()
    stored = profile.avatar.read()
    assert stored[:4] == b"RIFF" and stored[8:12] == b"WEBP"
    assert b"<script" not in stored and b"<html" not in stored
    served = Client().get(profile.avatar.url)
    assert served["Content-Type"] == "image/webp"
    assert served["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("case", REFUSED_UPLOADS)
def test_the_onboarding_photo_step_refuses_the_same_files(member_client, case):
    make, message = REFUSED_UPLOADS[case]
    profile = member_client.profile
    files_before = _avatar_files(profile)
    upload = SimpleUploadedFile("me.png", make(), content_type="image/png")

    response = member_client.post(
        reverse("profiles:onboarding_step", args=["photo"]),
        {"avatar_upload": upload, "crop_x": 0, "crop_y": 0, "crop_size": 64},
    )

    assert response.status_code == 400
    if message:
        assert message in " ".join(response.context["form"].errors["avatar_upload"])
    profile.refresh_from_db()
    assert not profile.avatar
    assert _avatar_files(profile) == files_before, "nothing is written to the media folder"


@pytest.mark.parametrize(
    "crop",
    [
        {"crop_x": -5, "crop_y": 0, "crop_size": 64},
        {"crop_x": 0, "crop_y": 0, "crop_size": 10**12},
        {"crop_x": "1e9", "crop_y": "0x10", "crop_size": "64"},
        {"crop_x": 0, "crop_y": 0, "crop_size": 10},
        {"crop_x": 30, "crop_y": 0, "crop_size": 48},
    ],
)
def test_a_forged_square_is_refused_with_a_message(member_client, crop):
    profile = member_client.profile
    response = member_client.post(
        reverse("profiles:onboarding_step", args=["photo"]),
        {"avatar_upload": SimpleUploadedFile("me.png", _png(), "image/png"), **crop},
    )
    assert response.status_code == 400
    assert response.context["form"].errors
    profile.refresh_from_db()
    assert not profile.avatar
