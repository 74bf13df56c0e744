"""htmx answers that show the same way in every mode."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    """A request as views see it: django-htmx's middleware says whether htmx sent it."""

    htmx: HtmxDetails


def render_in_place(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    *,
    target: str,
    swap: str = "innerHTML",
) -> HttpResponse:
    """Render what a person must see after an htmx request, where they will see it.

    For errors a person can fix (a form's errors, a refused action) and notices that replace
    what they acted on. A plain form gets its 400 (or 429) with the whole page; under htmx
    the answer is a 200 aimed at the element that shows it. htmx swaps nothing for a 4xx
    reply by default, and in DEBUG the error handler of django-htmx (`{% htmx_script %}` in
    base.html) replaces the whole document with any 400, 403, 404 or 500 reply, so a 4xx
    here would lose the page in development and show nothing in production.
    """
    response = render(request, template, context)
    response["HX-Retarget"] = target
    response["HX-Reswap"] = swap
    return response
