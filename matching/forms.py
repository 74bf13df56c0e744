"""The filters of the matches page, read from the query string.

Bad input never fails the page: a value that does not parse is left out of the filters and
explained next to its field, and the rest still apply.
"""

from django import forms

from intch.inputs import CleanInputsForm
from matching import presenters, selectors
from profiles.goals import GOAL_CHOICES, GOAL_LABELS

SORT_CHOICES = (
    (selectors.SORT_BEST, "Best match"),
    (selectors.SORT_NEWEST, "Newest profiles"),
)
CONTACTS_CHOICES = (
    (selectors.CONTACTS_HIDE, "Leave them out"),
    (selectors.CONTACTS_INCLUDE, "Show them too"),
    (selectors.CONTACTS_ONLY, "Only them"),
)
FILTER_FIELDS = ("goal", "tag", "place", "min_score", "sort", "contacts")


def _collapse(text):
    return " ".join((text or "").split())


class MatchFilterForm(CleanInputsForm, forms.Form):
    goal = forms.ChoiceField(
        label="Looking to",
        choices=(("", "Any goal"), *GOAL_CHOICES),
        required=False,
        error_messages={"invalid_choice": "We do not know that goal, so we show every goal."},
    )
    tag = forms.CharField(
        label="Interest or value",
        required=False,
        max_length=100,
        error_messages={"max_length": "That is longer than any interest or value."},
    )
    place = forms.CharField(
        label="City or country",
        required=False,
        max_length=80,
        error_messages={"max_length": "That is longer than any city or country."},
    )
    min_score = forms.IntegerField(
        label="Minimum match %",
        required=False,
        min_value=0,
        max_value=100,
        error_messages={
            "invalid": "The minimum score is a number from 0 to 100.",
            "min_value": "The minimum score is a number from 0 to 100.",
            "max_value": "The minimum score is a number from 0 to 100.",
        },
    )
    sort = forms.ChoiceField(
        label="Sort by",
        choices=SORT_CHOICES,
        required=False,
        error_messages={"invalid_choice": "We do not know that order, so we sort by best match."},
    )
    contacts = forms.ChoiceField(
        label="People you already talk to",
        choices=CONTACTS_CHOICES,
        required=False,
        error_messages={"invalid_choice": "We do not know that choice, so we leave them out."},
    )
    # A list holds at most MATCHING_K people; anything far beyond is nonsense, so page 1.
    page = forms.IntegerField(required=False, min_value=1, max_value=10_000)

    def __init__(self, data=None, **kwargs):
        super().__init__(data if data is not None else {}, **kwargs)
        self.tag_suggestions = []

    def clean_tag(self):
        text = _collapse(self.cleaned_data.get("tag"))
        if not text:
            return None
        tag, self.tag_suggestions = selectors.filter_tag_lookup(text=text)
        if tag is None:
            raise forms.ValidationError(
                f"We do not know an interest or value called “{text}”."
                + (" Did you mean one of these?" if self.tag_suggestions else "")
            )
        return tag

    def clean_place(self):
        return _collapse(self.cleaned_data.get("place"))

    @property
    def filter_errors(self):
        """Errors worth showing: a bad page number just means the first page."""
        return {name: errors for name, errors in self.errors.items() if name in FILTER_FIELDS}

    def _value(self, name):
        """The cleaned value of a field, or its empty value when it did not parse."""
        self.is_valid()  # runs cleaning once; invalid fields are simply left out
        return self.cleaned_data.get(name) if name not in self.errors else None

    def filters(self):
        return selectors.MatchFilters(
            goal=self._value("goal") or "",
            tag=self._value("tag"),
            place=self._value("place") or "",
            min_score=self._value("min_score") or None,
            sort=self._value("sort") or selectors.SORT_BEST,
            contacts=self._value("contacts") or selectors.CONTACTS_HIDE,
        )

    @property
    def page_number(self):
        return self._value("page") or 1

    def params(self, **overrides):
        """The filters as canonical query parameters (tags by slug, defaults left out)."""
        filters = self.filters()
        params = {
            "goal": filters.goal,
            "tag": filters.tag.slug if filters.tag else "",
            "place": filters.place,
            "min_score": filters.min_score,
            "sort": "" if filters.sort == selectors.SORT_BEST else filters.sort,
            "contacts": filters.contacts,
        }
        params.update(overrides)
        return params

    def query_string(self, **overrides):
        return presenters.query_string(self.params(**overrides))

    def active_filters(self):
        """Each filter in use, with a label and the query string of the page without it."""
        filters = self.filters()
        active = []
        if filters.goal:
            active.append((f"Wants to: {GOAL_LABELS[filters.goal].lower()}", "goal"))
        if filters.tag:
            active.append((f"Into {filters.tag.name}", "tag"))
        if filters.place:
            active.append((f"In {filters.place}", "place"))
        if filters.min_score:
            active.append((f"{filters.min_score}% or more", "min_score"))
        if filters.contacts == selectors.CONTACTS_INCLUDE:
            active.append(("With people you talk to", "contacts"))
        elif filters.contacts == selectors.CONTACTS_ONLY:
            active.append(("Only people you talk to", "contacts"))
        return [
            {"label": label, "query": self.query_string(**{name: ""})} for label, name in active
        ]

    def tag_suggestion_links(self):
        """“Did you mean” links for a tag we did not know: the page filtered by each."""
        return [
            {"tag": tag, "query": self.query_string(tag=tag.slug)} for tag in self.tag_suggestions
        ]

    def initial_tag_text(self):
        """What the tag box shows: the tag's name once it resolved, else what was typed."""
        tag = self._value("tag")
        if tag is not None:
            return tag.name
        return _collapse(self.data.get("tag", ""))[:100]
