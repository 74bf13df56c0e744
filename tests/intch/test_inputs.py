"""intch/inputs.py: the one place untrusted text is cleaned, capped and checked."""

import time

import pytest
from django import forms
from django.http import QueryDict
from django.test import RequestFactory

from intch import inputs

MEGABYTE = "x" * 1_000_000


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("  Ana   María  ", "Ana María"),
        ("Evil\r\nBcc: x@example.com", "Evil Bcc: x@example.com"),
        ("a\x00b\x07c\x1b[31m\x7f\x9f", "abc[31m"),
        ("tab\tand\u2028separator", "tab and separator"),
        ("\u202etxt.exe", "txt.exe"),  # the override that would show "exe.txt"
        ("\u200b\u200c\u200d\u2060\ufeff \u3164", ""),  # looks empty: is empty
        ("\u200bZoë\u200b", "Zoë"),
        ("Zoe\u0308", "Zoë"),  # one spelling (NFC) for the same name
        ("שלום\u200f 2024", "שלום\u200f 2024"),  # a right-to-left mark is kept
        ("🧑‍💻 ❤️ 🏴󠁧󠁢󠁥󠁮󠁧󠁿", "🧑‍💻 ❤️ 🏴󠁧󠁢󠁥󠁮󠁧󠁿"),  # emoji sequences stay whole
        ("", ""),
        (None, ""),
    ],
)
def test_one_line_of_text(typed, stored):
    assert inputs.clean_line(typed) == stored


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("Hi!\r\n\r\nSee you  \r\nAnna", "Hi!\n\nSee you\nAnna"),
        ("a\x00b\x0bc\x0cd", "ab\nc\nd"),
        ("\tindented\n\u202eflipped", "indented\nflipped"),
        ("\u200b\n \n\ufeff", ""),
    ],
)
def test_several_lines_of_text(typed, stored):
    assert inputs.clean_text(typed) == stored


def test_a_megabyte_is_cleaned_in_milliseconds():
    started = time.perf_counter()
    inputs.clean_line(MEGABYTE)
    inputs.clean_text("x\x00\n" * 300_000)
    inputs.query_text(QueryDict(mutable=True) | {"q": MEGABYTE}, "q")
    assert time.perf_counter() - started < 0.5


def test_query_text_is_one_capped_clean_line():
    params = QueryDict(f"q=%00{'a' * 500}&q=Pat%0D%0ABcc&name=%FF%FE")

    assert inputs.query_text(params, "q") == "Pat Bcc"  # the last value, as QueryDict.get
    assert inputs.query_text(QueryDict(f"q={'a' * 500}"), "q") == "a" * inputs.SEARCH_MAX_LENGTH
    assert inputs.query_text(params, "name") == "\ufffd\ufffd"
    assert inputs.query_text(params, "missing") == ""


def test_query_texts_are_clean_distinct_and_few():
    params = QueryDict("tags=Design&tags=design%00&tags=Design&tags=%E2%80%8B&tags=" + "x" * 300)

    assert inputs.query_texts(params, "tags", max_length=20) == ["Design", "design", "x" * 20]
    many = QueryDict("&".join(f"tags=t{n}" for n in range(500)))
    assert inputs.query_texts(many, "tags", max_items=5) == ["t0", "t1", "t2", "t3", "t4"]


@pytest.mark.parametrize(
    ("raw", "number"),
    [
        ("42", 42),
        ("-3", -3),
        ("+7", 7),
        (" 8 ", 8),
        ("9" * 40, None),
        ("1e3", None),
        ("١٢", None),  # digits, but not ASCII ones
        ("abc", None),
        ("", None),
        ("-", None),
    ],
)
def test_query_int(raw, number):
    assert inputs.query_int(QueryDict(mutable=True) | {"n": raw}, "n") == number


def test_query_int_range_choice_and_flag():
    params = QueryDict("page=0&kind=value&on=on&off=yes")

    assert inputs.query_int(params, "page", minimum=1) is None
    assert inputs.query_choice(params, "kind", ("interest", "value")) == "value"
    assert inputs.query_choice(params, "page", ("1",), default="1") == "1"
    assert (inputs.query_flag(params, "on"), inputs.query_flag(params, "off")) == (True, False)


@pytest.mark.parametrize(
    ("candidate", "followed"),
    [
        ("/matches/?goal=hire", True),
        ("/matches/saved/?page=2#person-3", True),
        ("abc", False),  # a URL name to redirect(), once a 500
        ("-1", False),
        ("🧑", False),
        ("//evil.example/x", False),
        ("/\\evil.example", False),
        ("https://evil.example/", False),
        ("javascript:alert(1)", False),
        ("/matches/\r\nSet-Cookie: x=1", False),
        ("/matches/\x00", False),
        ("/" + "a" * 3000, False),
        ("", False),
    ],
)
def test_safe_next_follows_only_paths_of_this_site(candidate, followed):
    request = RequestFactory().post("/matches/people/1/save/", {"next": candidate})

    target = inputs.safe_next(request, default="matching:list")

    assert target == (candidate if followed else "/matches/")


def test_an_email_header_is_one_short_line():
    assert inputs.header_text("Evil\r\nBcc: x@example.com sent you a message") == (
        "Evil Bcc: x@example.com sent you a message"
    )
    assert len(inputs.header_text("x" * 500)) == inputs.HEADER_MAX_LENGTH


class _Sample(inputs.CleanInputsForm, forms.Form):
    name = forms.CharField(max_length=20)
    about = forms.CharField(widget=forms.Textarea, required=False)
    password = forms.CharField(widget=forms.PasswordInput, strip=False)


def test_a_form_cleans_one_line_and_several_lines_but_never_a_password():
    form = _Sample(
        QueryDict(mutable=True)
        | {"name": "Ana\r\nBcc", "about": "Hi\r\nthere\x00", "password": " p\x07ss\n"}
    )

    assert form.is_valid(), form.errors
    assert form.cleaned_data == {"name": "Ana Bcc", "about": "Hi\nthere", "password": " p\x07ss\n"}


def test_a_form_refuses_a_name_of_invisible_characters_and_a_megabyte():
    form = _Sample({"name": "\u200b\u200d", "password": "x"})
    long = _Sample({"name": MEGABYTE, "password": "x"})

    assert form.errors == {"name": ["This field is required."]}
    assert "at most 20 characters (it has 1000000)" in long.errors["name"][0]


def test_every_form_of_intch_cleans_its_inputs():
    """A new form must mix in CleanInputsForm (a ModelForm too): this finds any that does not."""
    import profiles.admin  # noqa: F401 (its forms are defined there)

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    ours = {
        form
        for form in subclasses(forms.BaseForm)
        if form.__module__.split(".")[0] in ("intch", "profiles", "matching", "messaging")
    }
    assert len(ours) >= 10
    assert [
        f"{form.__module__}.{form.__name__}"
        for form in ours
        if not issubclass(form, inputs.CleanInputsForm)
    ] == []
