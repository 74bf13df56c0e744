"""profiles' cache families (intch/caches.py)."""

from intch.caches import family

TAG_COUNTS = family(
    "profiles.tag_counts",
    key="profiles:tag-people-counts",
    timeout=600,
    what="How many visible people have each tag: the popularity tag searches rank by.",
    stale_ok="Counting every tagging on each keystroke costs too much; ranking may lag by "
    "ten minutes.",
)
