"""Template helpers for match reasons; the wording lives in profiles/reasons.py."""

from functools import lru_cache
from urllib.parse import quote

from django import template
from django.urls import get_script_prefix, get_urlconf, reverse

from profiles import reasons as wording

register = template.Library()

_SLUG_PLACEHOLDER = "tag-slug-placeholder"


@lru_cache(maxsize=16)
def _tag_url_parts(script_prefix, urlconf):
    url = reverse("profiles:tag_detail", kwargs={"slug": _SLUG_PLACEHOLDER}, urlconf=urlconf)
    head, _, tail = url.partition(_SLUG_PLACEHOLDER)
    return head, tail


def tag_url(slug):
    """reverse("profiles:tag_detail") without its cost: a page of cards links ~150 chips."""
    head, tail = _tag_url_parts(get_script_prefix(), get_urlconf())
    return f"{head}{quote(slug)}{tail}"


@register.simple_tag
def goal_sentence(pair, person):
    """The sentence for one complementary goal pair, about `person` (autoescaped)."""
    my_goal, their_goal = pair
    return wording.goal_sentence(my_goal, their_goal, person.name)


@register.simple_tag
def goal_sentences(goal_pairs, person):
    """All goal sentences of a match, about `person`."""
    return wording.goal_sentences(goal_pairs, person.name)


@register.simple_tag
def reason_chips(reasons):
    """(shown, folded) chips of a match's shared interests and values, each with its url."""
    shown, folded = wording.reason_chips(reasons)
    for chip in shown + folded:
        chip["url"] = tag_url(chip["slug"]) if chip.get("slug") else ""
    return shown, folded


@register.filter
def more_shared(reasons, shown=wording.CHIPS_SHOWN):
    return wording.more_shared(reasons, shown)
