"""Every cache family of intch, declared once: its key, its timeout and what drops it.

A family is one kind of cached value (a person's header counts, the token under which their
matches pages are cached, a "recompute already queued" marker...). Each app declares its own
families in `<app>/caches.py` with `family(...)`, and reads and writes them only through the
family, so no key is built by hand anywhere else. `dropped_by` lists the domain events
(intch.events) whose handlers drop the family's entries; `also_dropped` says which of the
owning app's own writes drop it; a family that nothing drops says why its timeout is enough.

tests/intch/test_caches.py walks every write path (services and admin actions) and checks
that the entries the declarations promise to drop are gone; docs/architecture.md has the map.
"""

import string
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db import transaction

from intch.events import Event

# A timeout in seconds, or a function that reads it from the settings when it is used.
Timeout = int | Callable[[], int]


@dataclass(frozen=True)
class CacheFamily:
    name: str  # "<app>.<what>", unique
    key: str  # a str.format template: "matching:page-generation:{user_id}"
    timeout: Timeout
    what: str  # what an entry holds, in a sentence
    dropped_by: tuple[type[Event], ...] = ()
    also_dropped: str = ""  # the owning app's own writes that drop entries
    stale_ok: str = ""  # for a family nothing drops: why its timeout is enough
    parts: tuple[str, ...] = field(default=(), init=False)

    def __post_init__(self) -> None:
        names = tuple(name for _, name, _, _ in string.Formatter().parse(self.key) if name)
        object.__setattr__(self, "parts", names)
        if not (self.dropped_by or self.also_dropped or self.stale_ok):
            raise ValueError(f"{self.name}: say what drops it, or why its timeout is enough")

    def key_for(self, **parts: Any) -> str:
        """The cache key of one entry."""
        return self.key.format(**parts)

    def seconds(self) -> int:
        return self.timeout() if callable(self.timeout) else self.timeout

    def get(self, default: Any = None, **parts: Any) -> Any:
        return cache.get(self.key_for(**parts), default)

    def set(self, value: Any, **parts: Any) -> None:
        cache.set(self.key_for(**parts), value, self.seconds())

    def add(self, value: Any, *, timeout: int | None = None, **parts: Any) -> bool:
        """Store `value` only if the entry is absent; True if it was stored (a marker)."""
        return bool(
            cache.add(self.key_for(**parts), value, self.seconds() if timeout is None else timeout)
        )

    def delete(self, **parts: Any) -> None:
        cache.delete(self.key_for(**parts))

    def forget(self, entries: Iterable[dict[str, Any]]) -> None:
        """Drop these entries now and again after commit.

        Now, so the rest of this request already sees the change; after commit, so a value
        that another request computed from the old data while the transaction was open is
        not kept.
        """
        keys = list(dict.fromkeys(self.key_for(**parts) for parts in entries))
        if not keys:
            return
        cache.delete_many(keys)
        transaction.on_commit(lambda: cache.delete_many(keys), robust=True)

    def forget_people(self, user_ids: Iterable[int]) -> None:
        """forget() for families keyed by one person (`{user_id}`)."""
        self.forget({"user_id": int(user_id)} for user_id in user_ids)


_families: dict[str, CacheFamily] = {}


def family(
    name: str,
    *,
    key: str,
    timeout: Timeout,
    what: str,
    dropped_by: tuple[type[Event], ...] = (),
    also_dropped: str = "",
    stale_ok: str = "",
) -> CacheFamily:
    """Declare a cache family (once: a second declaration under the same name is an error)."""
    declared = CacheFamily(
        name=name,
        key=key,
        timeout=timeout,
        what=what,
        dropped_by=dropped_by,
        also_dropped=also_dropped,
        stale_ok=stale_ok,
    )
    if name in _families and _families[name] != declared:
        raise ValueError(f"The cache family {name!r} is declared twice.")
    _families[name] = declared
    return declared


def families() -> list[CacheFamily]:
    """Every declared family, by name."""
    return sorted(_families.values(), key=lambda declared: declared.name)
