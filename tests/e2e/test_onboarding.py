"""A new person completes onboarding by typing into the tag search and lands on their home;
another adds a photo and chooses its square."""

import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from profiles.models import Tag
from tests.factories import PASSWORD, ProfileFactory, TagFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _log_in(page, email):
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("sign in|log in", re.I)).click()
    page.wait_for_url(re.compile(r"/profile/onboarding/"))


def _pick_by_typing(page, letters, name):
    search = page.get_by_role("searchbox")
    search.click()
    search.press_sequentially(letters, delay=60)  # typed like a person, key by key
    page.get_by_role("button", name=re.compile(re.escape(name))).first.click()
    page.locator(".tag-picker__selected").get_by_text(name).wait_for()


def test_onboarding_by_typing_into_the_tag_search(page, screenshot):
    for name in ("Climate tech", "Open source", "Typography", "Carbon capture"):
        TagFactory(name=name)
    TagFactory(name="Curiosity", kind=Tag.Kind.VALUE)
    user = UserFactory(email=f"onboard-{page.viewport_name}@example.com")
    _log_in(page, user.email)

    page.get_by_label("Your name").fill("Noor Haddad")
    page.get_by_label("Headline").fill("Design engineer at a climate start-up")
    page.get_by_label("City").fill("Rotterdam")
    page.get_by_role("button", name=re.compile("continue", re.I)).click()

    page.wait_for_url(re.compile(r"/onboarding/photo/"))
    page.get_by_role("button", name="Skip for now").click()

    page.wait_for_url(re.compile(r"/onboarding/interests/"))
    _pick_by_typing(page, "clim", "Climate tech")
    _pick_by_typing(page, "open", "Open source")
    _pick_by_typing(page, "typo", "Typography")
    screenshot("interests")
    page.get_by_role("button", name="Continue").click()

    page.wait_for_url(re.compile(r"/onboarding/values/"))
    _pick_by_typing(page, "curi", "Curiosity")
    page.get_by_role("button", name="Continue").click()

    page.wait_for_url(re.compile(r"/onboarding/goals/"))
    page.get_by_label("Find a mentor").check()
    page.get_by_role("button", name=re.compile("finish|continue|done", re.I)).click()

    page.wait_for_url(re.compile(r"/home/$"))
    page.get_by_role("heading", name="Good to see you, Noor Haddad").wait_for()
    screenshot("home")
    page.get_by_role("link", name="View your profile").click()
    page.wait_for_url(re.compile(r"/profile/$"))
    screenshot("profile")
    main = page.locator("main")
    for name in ("Noor Haddad", "Climate tech", "Open source", "Typography", "Curiosity"):
        assert main.get_by_text(name, exact=True).first.is_visible(), name
    assert "Carbon capture" not in main.inner_text()


def _stripes(path):
    """600 × 200: red, green and blue squares side by side."""
    image = Image.new("RGB", (600, 200))
    for n, colour in enumerate([(255, 0, 0), (0, 255, 0), (0, 0, 255)]):
        image.paste(colour, (n * 200, 0, n * 200 + 200, 200))
    image.save(path, format="PNG")
    return path


def _avatar_middle(profile):
    """The colour in the middle of the stored avatar."""
    profile.refresh_from_db()
    with profile.avatar.open() as stored, Image.open(stored) as avatar:
        return avatar.convert("RGB").getpixel((128, 128))


def test_a_photo_is_cropped_to_the_square_the_person_chooses(page, screenshot, tmp_path):
    user = UserFactory(email=f"photo-{page.viewport_name}@example.com")
    profile = ProfileFactory(user=user, onboarded_at=None, display_name="Noor Haddad")
    _log_in(page, user.email)
    page.goto("/profile/onboarding/photo/")
    expect(page.get_by_role("heading", name="Add a photo")).to_be_visible()
    expect(page.get_by_text("Step 2 of 5")).to_be_visible()

    page.get_by_label("Your photo", exact=True).set_input_files(str(_stripes(tmp_path / "me.png")))
    frame = page.get_by_role("img", name="Preview of your photo")
    expect(frame).to_be_visible()
    # The middle square to start with; drag the picture left as far as it goes: the blue one.
    expect(page.locator('input[name="crop_x"]')).to_have_value("200")
    box = frame.bounding_box()
    middle_x, middle_y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(middle_x, middle_y)
    page.mouse.down()
    page.mouse.move(middle_x - box["width"] * 1.5, middle_y, steps=8)
    page.mouse.up()
    expect(page.locator('input[name="crop_x"]')).to_have_value("400")
    expect(page.locator('input[name="crop_size"]')).to_have_value("200")
    # Zooming in keeps the middle of the square where it is.
    page.get_by_label("Zoom").fill("2")
    expect(page.locator('input[name="crop_size"]')).to_have_value("100")
    expect(page.locator('input[name="crop_x"]')).to_have_value("450")
    screenshot("photo")
    expect(page.locator('input[name="crop_x"]')).to_have_value("450")  # a resize moves nothing

    page.get_by_role("button", name="Save photo").click()
    page.wait_for_url(re.compile(r"/onboarding/interests/"))
    red, green, blue = _avatar_middle(profile)
    assert blue > 200 and red < 40 and green < 40


def test_without_javascript_a_photo_uploads_and_the_middle_square_is_kept(
    page_without_js, tmp_path
):
    page = page_without_js
    user = UserFactory(email=f"nojs-photo-{page.viewport_name}@example.com")
    profile = ProfileFactory(user=user, onboarded_at=None, display_name="Noor Haddad")
    _log_in(page, user.email)
    page.goto("/profile/onboarding/photo/")
    expect(page.get_by_role("img", name="Preview of your photo")).to_be_hidden()
    page.get_by_label("Your photo", exact=True).set_input_files(str(_stripes(tmp_path / "me.png")))
    page.get_by_role("button", name="Save photo").click()
    page.wait_for_url(re.compile(r"/onboarding/interests/"))
    red, green, blue = _avatar_middle(profile)
    assert green > 200 and red < 40 and blue < 40
