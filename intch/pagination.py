"""One page of a query and its total in the same query (a window count)."""

from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, QuerySet, Window

MAX_PAGE = 10_000


class CappedPaginator(Paginator):  # type: ignore[type-arg]
    """A paginator that knows whether more rows exist past its cap ("1,000+")."""

    more = False


def counted_page(
    queryset: QuerySet[Any], *, number: int = 1, size: int = 20, max_page: int = MAX_PAGE
) -> Page[Any]:
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


def _rows(queryset: QuerySet[Any], number: int, size: int) -> QuerySet[Any]:
    offset = (number - 1) * size
    return queryset.annotate(total=Window(Count("pk")))[offset : offset + size]


def capped_page(
    queryset: QuerySet[Any], *, number: int = 1, size: int = 20, cap: int = 1000
) -> Page[Any]:
    """Page `number` of `queryset` as a Page, counting no further than `cap` rows.

    For searches that may find tens of thousands: counting them all would cost as much as
    ranking them all, and nobody pages that far. The count stops at cap + 1 (so a page can
    say "1,000+"), pages end at the cap, and the rows come from a top-N sort of their own.
    Two queries; a number below 1 is page 1, past the end the last page.
    """
    total = queryset.order_by()[: cap + 1].count()
    shown = min(total, cap)
    last = max(1, -(-shown // size))
    number = min(max(1, number), last)
    offset = (number - 1) * size
    rows = list(queryset[offset : min(offset + size, shown)]) if shown else []
    paginator = CappedPaginator(queryset, size)
    paginator.count = shown  # known already: spares Paginator its own COUNT query
    paginator.more = total > cap
    return Page(rows, number, paginator)
