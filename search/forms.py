"""The people search form, read from the query string (a plain GET form)."""

from django import forms

from intch.inputs import CleanInputsForm
from profiles.search import QUERY_MAX_LENGTH


class PeopleSearchForm(CleanInputsForm, forms.Form):
    q = forms.CharField(label="Search people", required=False, strip=True)
    page = forms.IntegerField(required=False, min_value=1, max_value=10_000)

    def __init__(self, data=None, **kwargs):
        super().__init__(data if data is not None else {}, **kwargs)
        self.is_valid()

    @property
    def typed(self):
        return " ".join((self.cleaned_data.get("q") or "").split())

    @property
    def query(self):
        """What is searched for: the typed text, cut to QUERY_MAX_LENGTH characters."""
        return self.typed[:QUERY_MAX_LENGTH]

    @property
    def was_cut(self):
        return len(self.typed) > QUERY_MAX_LENGTH

    @property
    def page_number(self):
        return self.cleaned_data.get("page") or 1
