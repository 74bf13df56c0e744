"""The sections of a member's home page (/home/), which each app adds in AppConfig.ready().

The home app (top of the layer order) renders whatever is registered; it knows no app's data.
An app adds a section by decorating the builder that reads what the section shows for one
person (`@home_section(key=..., title=..., template=...)`, the template being the section's
body) in a module its AppConfig.ready() imports. Later apps (groups, events, meetings) add
theirs the same way; the registry lives in the core because every app may import the core,
and none may import home.
"""

from collections.abc import Callable
from dataclasses import dataclass

MAIN, ASIDE = "main", "aside"


@dataclass(frozen=True)
class HomeSection:
    key: str  # unique; the section's element id is "home-<key>"
    title: str
    template: str  # the section's body, rendered with `data` (what build returned)
    # build(*, user) -> the template's data, or None to leave the section out for this person.
    # Reads only, through the app's selectors, in a fixed number of queries (the home page
    # pins its count). Data may set "title", "link_url" and "link_label" (the way onward),
    # and "empty": True when there is nothing to act on (the section then goes after the
    # others in its column, with its empty state).
    build: Callable[..., dict | None]
    order: int = 100  # lower first, within its column
    column: str = MAIN  # MAIN, or ASIDE (a side column on wide screens, after MAIN on phones)


_sections: dict[str, HomeSection] = {}


def home_section_register(section: HomeSection) -> None:
    """Add (or replace, by key) a section of the home page."""
    if section.column not in (MAIN, ASIDE):
        raise ValueError(f"Unknown home page column {section.column!r}.")
    _sections[section.key] = section


def home_section(
    *, key: str, title: str, template: str, order: int = 100, column: str = MAIN
) -> Callable:
    """Register the decorated builder as a section of the home page (see HomeSection)."""

    def register(build):
        home_section_register(
            HomeSection(
                key=key, title=title, template=template, build=build, order=order, column=column
            )
        )
        return build

    return register


def home_sections() -> list[HomeSection]:
    """Every registered section, in page order."""
    return sorted(_sections.values(), key=lambda section: (section.order, section.key))
