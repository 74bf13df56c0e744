"""People search: a plain GET form; with htmx the results update as you type."""

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.http import MemberRequest
from profiles.search import QUERY_MAX_LENGTH
from search import selectors
from search.forms import PeopleSearchForm


@login_required
@require_GET
def people(request: MemberRequest) -> HttpResponse:
    """Find people by name, headline, company, place, interest or value."""
    form = PeopleSearchForm(request.GET)
    query = form.query
    page = (
        selectors.people_search(viewer=request.user, query=query, number=form.page_number)
        if query
        else None
    )
    context = {
        "form": form,
        "query": query,
        "page": page,
        "query_string": urlencode({"q": query}),
        "max_length": QUERY_MAX_LENGTH,
    }
    if request.htmx and request.htmx.target == "search-results":
        return render(request, "search/partials/_results.html", context)
    return render(request, "search/people.html", context)
