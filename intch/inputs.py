"""Untrusted text, checked in one place.

Everything a person sends passes through here before it reaches a service, a query or an
email header:

- every form of intch mixes in `CleanInputsForm`, which normalises each text field's input
  (one line or several, by its widget) before the fields validate it;
- every view that reads `request.GET` or `request.POST` outside a form uses `query_text`,
  `query_texts`, `query_int`, `query_choice` or `query_flag`, which cap and clean what they
  return;
- every redirect to a link taken from a request goes through `safe_next`;
- every email header that holds a person's text goes through `header_text`.

Normalising, not refusing: control characters cannot be shown and only ever hide something, so
they are dropped (line breaks become spaces in one-line text), as are the direction overrides
that make text read backwards (right-to-left scripts need none of them: they have their own
direction, and the marks LRM and RLM stay). Text made only of invisible characters counts as
empty, so a required field says it is required. Lengths are the fields' own business (their
`max_length` refuses with a clear message); query parameters are cut at a cap instead, so that a
search never fails.
"""

import re
import unicodedata
from collections.abc import Collection
from typing import Any, overload

from django import forms
from django.http import HttpRequest, QueryDict
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

# Query or form parameters: a request's GET or POST (a plain dict in tests).
Params = QueryDict | dict[str, Any]

# The longest search text any page accepts: longer than any name or tag, short enough that a
# LIKE pattern (SQLite refuses very long ones) and the ranking stay cheap.
SEARCH_MAX_LENGTH = 100
# Repeated parameters (tags=a&tags=b...) a view reads at most.
LIST_MAX_ITEMS = 100
NEXT_MAX_LENGTH = 2000
HEADER_MAX_LENGTH = 200
# The longest numbers a query parameter may spell (ids, pages): int() of a longer digit string
# costs time, and nothing of intch is numbered that far.
NUMBER_MAX_DIGITS = 18

# Explicit direction embeddings, overrides and isolates: inside one line (a name, a headline)
# they make the rest of the line, and what a page shows after it, read in another order.
BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
# Characters with no visible shape of their own: text made only of them looks empty.
INVISIBLE = (
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b\u180c\u180d\u180e\u200b\u200c\u200d"
    "\u200e\u200f\u2060\u2061\u2062\u2063\u2064\u206a\u206b\u206c\u206d\u206e\u206f\u2800"
    "\u3164\ufeff\uffa0" + BIDI_CONTROLS
)
# Variation selectors (an emoji's colour form) show nothing alone but belong to the character
# before them, so they are never trimmed away.
_VARIATION_SELECTORS = "\ufe00-\ufe0f"

# Controls that separate words become a space in one line of text (a line break within several);
# the others (NUL, escape, DEL, C1 controls) and the direction controls are dropped.
_SEPARATORS = "\t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\u2028\u2029"
_DROPPED = "".join(
    chr(code) for code in (*range(0x20), *range(0x7F, 0xA0)) if chr(code) not in _SEPARATORS
)
_LINE_TABLE = str.maketrans(
    dict.fromkeys(_SEPARATORS, " ") | dict.fromkeys(_DROPPED + BIDI_CONTROLS, None)
)
_TEXT_TABLE = str.maketrans(
    dict.fromkeys(_SEPARATORS.replace("\t", ""), "\n")
    | dict.fromkeys(_DROPPED + BIDI_CONTROLS, None)
)
_SPACES = re.compile(r"\s+")
_ONLY_INVISIBLE = re.compile(f"^[\\s{INVISIBLE}{_VARIATION_SELECTORS}]*$")


def _nfc(value: object) -> str:
    return unicodedata.normalize("NFC", str(value))


def is_blank(value: str | None) -> bool:
    """True for text that shows nothing: empty, spaces, or invisible characters only."""
    return not value or bool(_ONLY_INVISIBLE.match(value))


def clean_line(value: object, *, max_length: int | None = None) -> str:
    """One line of text: controls and line breaks become one space, direction overrides go.

    Invisible characters at either end are trimmed; text that shows nothing becomes "".
    """
    if not value:
        return ""
    text = _nfc(value)
    if not text.isprintable():  # printable text, the usual case, has nothing to replace
        text = _SPACES.sub(" ", text.translate(_LINE_TABLE))
    elif "  " in text:
        text = _SPACES.sub(" ", text)
    return _trim(text[:max_length] if max_length else text)


def _trim(text: str) -> str:
    """Without spaces and invisible characters at either end; "" when nothing shows."""
    while True:
        trimmed = text.strip().strip(INVISIBLE)
        if trimmed == text:
            return "" if is_blank(text) else text
        text = trimmed


def clean_text(value: object) -> str:
    """Text of several lines: one kind of line break, no control characters, no blank ends.

    Tabs and line breaks are kept; spaces at the end of each line and invisible characters at
    either end of the text are trimmed; text that shows nothing becomes "".
    """
    if not value:
        return ""
    text = _nfc(value).replace("\r\n", "\n")
    if not text.isprintable():
        text = text.translate(_TEXT_TABLE)
    if " \n" in text or "\t\n" in text:
        text = "\n".join(line.rstrip(" \t") for line in text.split("\n"))
    return _trim(text)


def header_text(value: object, *, max_length: int = HEADER_MAX_LENGTH) -> str:
    """Text for an email header (a subject): one line, whatever was stored."""
    text = clean_line(value)
    return text if len(text) <= max_length else text[: max_length - 1] + "…"


# --- Forms -----------------------------------------------------------------------------------


class CleanInputsForm:
    """Mixed into every form of intch: text fields see their input cleaned.

    A textarea takes several lines (clean_text); every other text input one (clean_line).
    Passwords are left exactly as typed. The cleaned text is what the fields validate and what
    a re-rendered form shows.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.is_bound and self.data:
            self.data = self._cleaned_data_copy(self.data)

    def _cleaned_data_copy(self, data):
        cleaned = data.copy()
        for name, field in self.fields.items():
            key = self.add_prefix(name)
            if not isinstance(field, forms.CharField) or key not in cleaned:
                continue
            if isinstance(field.widget, forms.PasswordInput):
                continue
            clean = clean_text if isinstance(field.widget, forms.Textarea) else clean_line
            if hasattr(cleaned, "setlist"):
                cleaned.setlist(key, [clean(value) for value in cleaned.getlist(key)])
            elif isinstance(cleaned[key], list | tuple):
                cleaned[key] = [clean(value) for value in cleaned[key]]
            else:
                cleaned[key] = clean(cleaned[key])
        return cleaned


# --- Query parameters read outside a form ------------------------------------------------------


def _last(params: Params, name: str) -> str:
    value = params.get(name, "")
    return value if isinstance(value, str) else ""


def query_text(params: Params, name: str, *, max_length: int = SEARCH_MAX_LENGTH) -> str:
    """A search text or name from the query (or a POST): one clean line, at most max_length."""
    # Cut before cleaning, so a megabyte costs no more than the cap (with room for what goes).
    return clean_line(_last(params, name)[: max_length * 4], max_length=max_length)


def query_texts(
    params: Params,
    name: str,
    *,
    max_length: int = SEARCH_MAX_LENGTH,
    max_items: int = LIST_MAX_ITEMS,
) -> list[str]:
    """A repeated parameter (tags=a&tags=b): clean, non-empty, distinct, at most max_items."""
    found: list[str] = []
    values = params.getlist(name) if isinstance(params, QueryDict) else params.get(name, [])
    for value in values[: max_items * 4]:
        text = clean_line(value[: max_length * 4], max_length=max_length)
        if text and text not in found:
            found.append(text)
            if len(found) == max_items:
                break
    return found


def query_int(
    params: Params, name: str, *, minimum: int | None = None, maximum: int | None = None
) -> int | None:
    """A whole number from the query, or None when it is missing, malformed or out of range."""
    raw = _last(params, name).strip()
    digits = raw[1:] if raw[:1] in "+-" else raw
    if not digits or len(digits) > NUMBER_MAX_DIGITS or not (digits.isascii() and digits.isdigit()):
        return None
    number = int(raw)
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        return None
    return number


@overload
def query_choice(params: Params, name: str, choices: Collection[str], *, default: str) -> str: ...


@overload
def query_choice(
    params: Params, name: str, choices: Collection[str], *, default: None = None
) -> str | None: ...


def query_choice(
    params: Params, name: str, choices: Collection[str], *, default: str | None = None
) -> str | None:
    """One of `choices` (exactly as spelled), else `default`."""
    value = _last(params, name)
    return value if value in choices else default


def query_flag(params: Params, name: str, *, on: Collection[str] = ("on", "1", "true")) -> bool:
    """A checkbox or switch: True only for one of the `on` spellings."""
    return _last(params, name) in on


# --- Redirects ---------------------------------------------------------------------------------


def safe_next(request: HttpRequest, *, default: str, param: str = "next") -> str:
    """Where to go back to: the `next` path of this site from the request, else `default`.

    Only a path on this site is followed ("/matches/?goal=x"): no other host, no scheme, no
    control characters. `default` is a URL name or a path.
    """
    params = request.POST if request.method == "POST" else request.GET
    candidate = params.get(param) or ""
    if (
        isinstance(candidate, str)
        and 0 < len(candidate) <= NEXT_MAX_LENGTH
        and candidate.startswith("/")
        and not candidate.startswith(("//", "/\\"))
        and candidate.isprintable()
        and " " not in candidate
        and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return candidate
    return default if default.startswith("/") else reverse(default)
