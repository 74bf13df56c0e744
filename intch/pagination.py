"""One page of a query and its total in the same query (a window count)."""

from django.core.paginator import Page, Paginator
from django.db.models import Count, Window

MAX_PAGE = 10_000


def counted_page(queryset, *, number=1, size=20, max_page=MAX_PAGE):
    """Page `number` of `queryset` as a Page, counted in the same query (COUNT(*) OVER ()).

    A page past the end gives the last page (one more query, only then); a number below 1,
    page 1. The queryset must be ordered.
    """
    number = min(max(1, number), max_page)
    rows = list(_rows(queryset, number, size))
    if rows:
        total = rows[0].total
    elif number > 1:
        total = queryset.count()
        number = max(1, -(-total // size))
        rows = list(_rows(queryset, number, size)) if total else []
    else:
        total = 0
    paginator = Paginator(queryset, size)
    paginator.count = total  # known already: spares Paginator its own COUNT query
    return Page(rows, number, paginator)


def _rows(queryset, number, size):
    offset = (number - 1) * size
    return queryset.annotate(total=Window(Count("pk")))[offset : offset + size]
