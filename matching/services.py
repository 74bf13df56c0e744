"""Writes for matches: loading the population in bulk, storing each person's list atomically,
and queueing recomputes. The scoring itself lives in matching/engine.py (no ORM there)."""

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

import numpy as np
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import Block
from matching import caches, engine
from matching.models import Match, MatchRun, MatchRunChunk, MatchState, Pass, Saved
from matching.selectors import match_new_since
from profiles.models import Profile, Tag, TaggedInterest, TaggedValue

logger = logging.getLogger(__name__)


def _setting(name, default):
    return getattr(settings, name, default)


def match_list_size():
    return _setting("MATCHING_K", 100)


def coalesce_seconds():
    return _setting("MATCHING_COALESCE_SECONDS", 60)


def chunk_size():
    return _setting("MATCHING_CHUNK_SIZE", 5000)


def engine_weights():
    return engine.EngineWeights(**_setting("MATCHING_WEIGHTS", {}))


# --- Loading the population --------------------------------------------------------------


@dataclass
class Population:
    """Everyone who can be matched, as arrays the engine understands."""

    user_ids: np.ndarray  # row -> user id, ascending
    prepared: object  # engine.PreparedPopulation
    eligible: np.ndarray  # row -> may be suggested to others
    tag_ids: np.ndarray  # column -> tag id
    tags: dict  # tag id -> (name, slug, kind)

    def row_of(self, user_id):
        index = int(np.searchsorted(self.user_ids, user_id))
        if index < len(self.user_ids) and self.user_ids[index] == user_id:
            return index
        return None


def _fetch(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def population_load():
    """Load every onboarded, active person's approved tags and goals in a few bulk queries."""
    profile_table = Profile._meta.db_table
    user_table = get_user_model()._meta.db_table
    # Table names come from model metadata, never from input.
    people = _fetch(
        f"SELECT p.user_id, p.goal_bits, p.discoverable FROM {profile_table} p "  # noqa: S608  # nosec B608
        f"JOIN {user_table} u ON u.id = p.user_id "
        "WHERE u.is_active AND p.onboarded_at IS NOT NULL ORDER BY p.user_id"
    )
    user_ids = np.fromiter((row[0] for row in people), dtype=np.int64, count=len(people))
    goal_bits = np.fromiter((row[1] for row in people), dtype=np.int64, count=len(people))
    eligible = np.fromiter((bool(row[2]) for row in people), dtype=bool, count=len(people))

    tag_rows = Tag.objects.filter(status=Tag.Status.APPROVED).values_list(
        "pk", "name", "slug", "kind"
    )
    tags = {pk: (name, slug, kind) for pk, name, slug, kind in tag_rows}
    tag_ids = np.array(sorted(tags), dtype=np.int64)

    pairs_user, pairs_tag = [], []
    for through in (TaggedInterest, TaggedValue):
        sql = (
            f"SELECT p.user_id, t.tag_id FROM {through._meta.db_table} t "  # noqa: S608  # nosec B608
            f"JOIN {profile_table} p ON p.id = t.content_object_id"
        )
        rows = _fetch(sql)
        pairs_user.append(np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows)))
        pairs_tag.append(np.fromiter((r[1] for r in rows), dtype=np.int64, count=len(rows)))
    users = np.concatenate(pairs_user) if pairs_user else np.zeros(0, np.int64)
    tag_of = np.concatenate(pairs_tag) if pairs_tag else np.zeros(0, np.int64)

    rows = np.searchsorted(user_ids, users)
    cols = np.searchsorted(tag_ids, tag_of)
    known = (
        (rows < len(user_ids))
        & (cols < len(tag_ids))
        & (
            user_ids[np.minimum(rows, max(len(user_ids) - 1, 0))] == users
            if len(user_ids)
            else False
        )
        & (tag_ids[np.minimum(cols, max(len(tag_ids) - 1, 0))] == tag_of if len(tag_ids) else False)
    )
    rows, cols = rows[known].astype(np.int32), cols[known].astype(np.int32)
    tag_is_value = np.array([tags[t][2] == Tag.Kind.VALUE for t in tag_ids], dtype=bool)
    prepared = engine.build_matrix(
        rows=rows,
        cols=cols,
        n_people=len(user_ids),
        n_tags=len(tag_ids),
        tag_is_value=tag_is_value,
        goal_bits=goal_bits,
        weights=engine_weights(),
    )
    return Population(user_ids, prepared, eligible, tag_ids, tags)


def _exclusions(population, query_user_ids):
    """(row, col) pairs never to suggest: blocks either way, and each person's passes."""
    query_user_ids = [int(u) for u in query_user_ids]
    pairs = []
    blocks = Block.objects.values_list("blocker_id", "blocked_id")
    passes = Pass.objects.values_list("user_id", "passed_id")
    if len(query_user_ids) < 1000:
        blocks = blocks.filter(Q(blocker_id__in=query_user_ids) | Q(blocked_id__in=query_user_ids))
        passes = passes.filter(Q(user_id__in=query_user_ids) | Q(passed_id__in=query_user_ids))
    for a, b in blocks:
        pairs += [(a, b), (b, a)]
    pairs += list(passes)
    result = []
    for a, b in pairs:
        row, col = population.row_of(a), population.row_of(b)
        if row is not None and col is not None:
            result.append((row, col))
    return np.array(result, dtype=np.int32).reshape(-1, 2)


# --- Writing lists --------------------------------------------------------------------------


class _ReasonWriter:
    """The reasons of many pairs of one population, as JSON text, without per-pair numpy.

    A full recompute writes K reasons per person (ten million at 100,000 people), so this is
    the hot loop of the write path. The JSON is the same as engine.pair_reasons gives, named:
    {"interests": [{"name", "slug"}, ...], "values": [...], "goals": [[mine, theirs], ...]},
    shared tags rarest first (higher IDF first, then lower column).
    """

    def __init__(self, population):
        prepared = population.prepared
        self._indptr = prepared.X.indptr
        self._indices = prepared.X.indices
        self._goal_bits = prepared.goal_bits
        n_tags = len(population.tag_ids)
        order = np.lexsort((np.arange(n_tags), -np.asarray(prepared.idf, dtype=np.float64)))
        self._rarity = np.empty(n_tags, dtype=np.int64)
        self._rarity[order] = np.arange(n_tags)
        self._fragment, self._is_value = [], []
        for tag_id in population.tag_ids:
            name, slug, kind = population.tags[int(tag_id)]
            self._fragment.append(json.dumps({"name": name, "slug": slug}))
            self._is_value.append(kind == Tag.Kind.VALUE)
        self._row_cache = (None, None)

    def _tags_by_rarity(self, row):
        """The row's tag columns as {column: rarity position} (cached for the last row)."""
        if self._row_cache[0] != row:
            columns = self._indices[self._indptr[row] : self._indptr[row + 1]]
            rarity = self._rarity[columns].tolist()
            self._row_cache = (row, dict(zip(columns.tolist(), rarity, strict=True)))
        return self._row_cache[1]

    @staticmethod
    @lru_cache(maxsize=4096)
    def _goals_json(bits_a, bits_b):
        return json.dumps([list(pair) for pair in engine.complementary_goals(bits_a, bits_b)])

    def reasons_json(self, row, col):
        mine = self._tags_by_rarity(row)
        theirs = self._indices[self._indptr[col] : self._indptr[col + 1]].tolist()
        shared = sorted((mine[c], c) for c in theirs if c in mine)
        interests, values = [], []
        for _, column in shared:
            (values if self._is_value[column] else interests).append(self._fragment[column])
        goals = self._goals_json(int(self._goal_bits[row]), int(self._goal_bits[col]))
        return (
            f'{{"interests": [{", ".join(interests)}], "values": [{", ".join(values)}], '
            f'"goals": {goals}}}'
        )


def _match_rows(population, query_rows, result, now):
    """(user_id, candidate_id, rank, score, similarity, reasons JSON, computed_at) per match."""
    writer = _ReasonWriter(population)
    user_ids = population.user_ids
    rows = []
    for position, row in enumerate(query_rows):
        user_id = int(user_ids[row])
        columns = result.indices[position]
        found = int(np.count_nonzero(columns >= 0))
        for rank, (col, score, similarity) in enumerate(
            zip(
                columns[:found].tolist(),
                result.scores[position][:found].tolist(),
                result.similarity[position][:found].tolist(),
                strict=True,
            ),
            start=1,
        ):
            rows.append(
                (
                    user_id,
                    int(user_ids[col]),
                    rank,
                    int(score),
                    float(similarity),
                    writer.reasons_json(row, col),
                    now,
                )
            )
    return rows


_MATCH_COLUMNS = (
    "user_id",
    "candidate_id",
    "rank",
    "score",
    "similarity",
    "reasons",
    "computed_at",
)


def _insert_matches(rows):
    """Insert match rows in bulk: COPY on PostgreSQL, batched inserts elsewhere."""
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(Match._meta.db_table)
        columns = ", ".join(_MATCH_COLUMNS)
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
        return
    matches = []
    for row in rows:
        values = dict(zip(_MATCH_COLUMNS, row, strict=True))
        values["reasons"] = json.loads(values["reasons"])
        matches.append(Match(**values))
    Match.objects.bulk_create(matches, batch_size=2000)


def _lock_owners(user_ids):
    """Serialise writers of the same lists (two deliveries of one task, say); ordered, so no
    deadlocks. Readers are never blocked.

    FOR NO KEY UPDATE: inserting a Match checks its foreign keys with FOR KEY SHARE on both
    users, which FOR UPDATE would block, so two chunks that list each other's people
    deadlocked (found by bench/faults.py). The lock still excludes a second writer of the
    same lists, which takes the same lock.
    """
    list(
        get_user_model()
        .objects.select_for_update(no_key=True)
        .filter(pk__in=user_ids)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _replace_lists(user_ids, matches, now):
    """Replace the lists of `user_ids` in one transaction: readers see old or new, never a mix."""
    user_ids = [int(u) for u in user_ids]
    with transaction.atomic():
        _lock_owners(user_ids)
        Match.objects.filter(user_id__in=user_ids).delete()
        _insert_matches(matches)
        match_pages_forget(user_ids=user_ids)
        existing = set(
            MatchState.objects.filter(user_id__in=user_ids).values_list("user_id", flat=True)
        )
        MatchState.objects.bulk_create(
            [MatchState(user_id=u, computed_at=now) for u in user_ids if u not in existing],
            batch_size=2000,
        )
        MatchState.objects.filter(user_id__in=existing).update(computed_at=now)
    return len(matches)


def _top_k(population, query_rows, exclusions):
    return engine.top_k(
        population.prepared,
        np.asarray(query_rows, dtype=np.int64),
        match_list_size(),
        eligible=population.eligible,
        exclude=exclusions,
        weights=engine_weights(),
    )


def matches_recompute_rows(*, population, query_rows):
    """Compute and store the lists of the given rows of a loaded population."""
    now = timezone.now()
    query_user_ids = population.user_ids[query_rows]
    exclusions = _exclusions(population, query_user_ids)
    result = _top_k(population, query_rows, exclusions)
    matches = _match_rows(population, query_rows, result, now)
    return _replace_lists(query_user_ids, matches, now)


def matches_recompute_for_user(*, user_id):
    """Refresh one person's list and their place in everyone else's lists."""
    population = population_load()
    row = population.row_of(user_id)
    now = timezone.now()
    if row is None or not population.eligible[row]:
        # Gone, hidden or inactive: leave every list, and keep no list of one's own if gone.
        with transaction.atomic():
            match_pages_forget_around(user_id=user_id)
            Match.objects.filter(candidate_id=user_id).delete()
            if row is None:
                Match.objects.filter(user_id=user_id).delete()
    if row is None:
        MatchState.objects.filter(user_id=user_id).update(computed_at=now)
        return 0
    written = matches_recompute_rows(population=population, query_rows=np.array([row]))
    if population.eligible[row]:
        _enter_other_lists(population, row, now)
    return written


def _enter_other_lists(population, row, now):
    """Put `row` into every list where it now beats the K-th match (scores are symmetric)."""
    user_id = int(population.user_ids[row])
    k = match_list_size()
    exclusions = _exclusions(population, [user_id])
    columns, scores, similarities = engine.row_scores(
        population.prepared, row, eligible=population.eligible, weights=engine_weights()
    )
    excluded = {int(b) for a, b in exclusions if a == row} | {
        int(a) for a, b in exclusions if b == row
    }
    by_user = {}
    for column, score, similarity in zip(columns, scores, similarities, strict=True):
        if int(column) in excluded or int(column) == row:
            continue
        by_user[int(population.user_ids[column])] = (int(column), int(score), float(similarity))
    if not by_user:
        return
    with transaction.atomic():
        _lock_owners(list(by_user))
        lists = {}
        for owner_id, candidate_id, score, similarity in Match.objects.filter(
            user_id__in=list(by_user)
        ).values_list("user_id", "candidate_id", "score", "similarity"):
            lists.setdefault(owner_id, []).append((candidate_id, score, similarity))
        changed_owners, new_matches = [], []
        writer = _ReasonWriter(population)
        for owner_id, (_column, score, similarity) in by_user.items():
            current = [m for m in lists.get(owner_id, []) if m[0] != user_id]
            current.append((user_id, score, similarity))
            current.sort(key=lambda m: (-m[1], -m[2], m[0]))
            current = current[:k]
            if user_id not in [m[0] for m in current] and user_id not in [
                m[0] for m in lists.get(owner_id, [])
            ]:
                continue
            changed_owners.append(owner_id)
            owner_row = population.row_of(owner_id)
            for rank, (candidate_id, cand_score, cand_similarity) in enumerate(current, start=1):
                new_matches.append(
                    (
                        owner_id,
                        candidate_id,
                        rank,
                        cand_score,
                        cand_similarity,
                        writer.reasons_json(owner_row, population.row_of(candidate_id)),
                        now,
                    )
                )
        if changed_owners:
            Match.objects.filter(user_id__in=changed_owners).delete()
            _insert_matches(new_matches)
            match_pages_forget(user_ids=changed_owners)


# --- Full runs ------------------------------------------------------------------------------


def match_run_start(*, reason, people_per_chunk=None):
    """Open a run and split the people into chunks for the workers."""
    people = Profile.objects.filter(onboarded_at__isnull=False, user__is_active=True).count()
    chunks = max(1, -(-people // (people_per_chunk or chunk_size())))
    with transaction.atomic():
        run = MatchRun.objects.create(reason=reason[:200], people=people, chunks_total=chunks)
        MatchRunChunk.objects.bulk_create([MatchRunChunk(run=run, number=n) for n in range(chunks)])
    return run


def match_run_chunk(*, run_id, number, population=None):
    """Compute one chunk of a run; a chunk already done is skipped (safe to deliver twice)."""
    chunk = MatchRunChunk.objects.select_related("run").get(run_id=run_id, number=number)
    if chunk.done_at is not None:
        return chunk.matches_written
    population = population or population_load()
    size = -(-len(population.user_ids) // chunk.run.chunks_total) if chunk.run.chunks_total else 0
    query_rows = np.arange(number * size, min((number + 1) * size, len(population.user_ids)))
    written = (
        matches_recompute_rows(population=population, query_rows=query_rows)
        if len(query_rows)
        else 0
    )
    now = timezone.now()
    with transaction.atomic():
        updated = MatchRunChunk.objects.filter(pk=chunk.pk, done_at__isnull=True).update(
            done_at=now, matches_written=written
        )
        if updated:
            MatchRun.objects.filter(pk=run_id).update(
                chunks_done=F("chunks_done") + 1, matches_written=F("matches_written") + written
            )
            MatchRun.objects.filter(
                pk=run_id, chunks_done=F("chunks_total"), status=MatchRun.Status.RUNNING
            ).update(status=MatchRun.Status.SUCCEEDED, finished_at=now)
    return written


def match_run_fail(*, run_id, error):
    MatchRun.objects.filter(pk=run_id, status=MatchRun.Status.RUNNING).update(
        status=MatchRun.Status.FAILED, finished_at=timezone.now(), error=str(error)[:5000]
    )


def matches_recompute_all(*, reason="", progress=None):
    """Run a full recompute synchronously (operators, the embedded default)."""
    run = match_run_start(reason=reason or "manual")
    population = population_load()
    try:
        for number in range(run.chunks_total):
            match_run_chunk(run_id=run.pk, number=number, population=population)
            if progress:
                progress(number + 1, run.chunks_total)
    except Exception as error:
        match_run_fail(run_id=run.pk, error=error)
        raise
    run.refresh_from_db()
    return run


# --- Queueing ----------------------------------------------------------------------------------


def matches_changed_for(*, user_id: int) -> None:
    """A person's tags, goals or visibility changed: recompute their matches after commit.

    Edits within MATCHING_COALESCE_SECONDS share one run.
    """
    # Imported here: the tasks module imports this one (the services<->tasks pair).
    from matching.tasks import recompute_user_matches_task

    now = timezone.now()
    if get_user_model().objects.filter(pk=user_id).exists():
        MatchState.objects.update_or_create(user_id=user_id, defaults={"requested_at": now})
    match_pages_forget_around(user_id=user_id)

    def enqueue():
        if caches.QUEUED.add(now.isoformat(), user_id=user_id):
            recompute_user_matches_task.apply_async(args=[user_id], countdown=coalesce_seconds())

    transaction.on_commit(enqueue)


def matches_queued_clear(*, user_id=None):
    """Called when a run starts, so later edits queue a new run (user_id None: a full run)."""
    if user_id is None:
        caches.QUEUED_ALL.delete()
    else:
        caches.QUEUED.delete(user_id=user_id)


def matches_recompute_all_later(*, reason: str) -> None:
    """Queue a full recompute after commit (taxonomy merges, admin button)."""
    # Imported here: the tasks module imports this one (the services<->tasks pair).
    from matching.tasks import recompute_all_matches_task

    def enqueue():
        # Several merges in a row share one run.
        if caches.QUEUED_ALL.add(reason):
            recompute_all_matches_task.apply_async(
                kwargs={"reason": reason}, countdown=coalesce_seconds()
            )

    transaction.on_commit(enqueue)


# --- Cached matches pages ------------------------------------------------------------------


def match_pages_forget(*, user_ids: Iterable[int]) -> None:
    """The matches pages of these people show something that changed: drop their tokens.

    Dropped now, so this request already sees the change, and again after commit, so a page
    rendered from the old data while the transaction was open is never found again.
    """
    caches.PAGE_GENERATION.forget_people(user_ids)


def match_pages_forget_around(*, user_id: int) -> None:
    """This person changed (or left): their own page and every page that shows their card."""
    owners = Match.objects.filter(candidate_id=user_id).values_list("user_id", flat=True)
    match_pages_forget(user_ids=[user_id, *owners])


# --- Pass and save ---------------------------------------------------------------------------

# last_seen_at is written at most this often: a refresh costs no write.
SEEN_PRECISION = timedelta(minutes=1)


def _not_self(user, other):
    if user.pk == other.pk:
        raise ValidationError("That is you.")


def match_pass(*, user, candidate):
    """`user` passes on `candidate`: gone from their suggestions at once and for good.

    The Match row stays (hidden by the selectors) so that Undo restores the card at once;
    the next recompute leaves the pair out (see _exclusions).
    """
    _not_self(user, candidate)
    passed, _ = Pass.objects.get_or_create(user=user, passed=candidate)
    match_pages_forget(user_ids=[user.pk])
    return passed


def match_pass_undo(*, user, candidate):
    """Take a pass back; True if the card is back at once, False if it needs a recompute."""
    with transaction.atomic():
        Pass.objects.filter(user=user, passed=candidate).delete()
        match_pages_forget(user_ids=[user.pk])
        still_listed = Match.objects.filter(user=user, candidate=candidate).exists()
        if not still_listed:
            # A recompute ran since the pass and dropped the pair: queue one that may add it.
            matches_changed_for(user_id=user.pk)
    return still_listed


def match_save(*, user, candidate):
    """Keep `candidate` in `user`'s Saved list."""
    _not_self(user, candidate)
    saved, _ = Saved.objects.get_or_create(user=user, saved=candidate)
    match_pages_forget(user_ids=[user.pk])
    return saved


def match_unsave(*, user, candidate):
    """Take `candidate` off `user`'s Saved list."""
    Saved.objects.filter(user=user, saved=candidate).delete()
    match_pages_forget(user_ids=[user.pk])


def matches_mark_seen(*, user, state, now=None):
    """Record a view of the matches page; return the cutoff for "New" (None: mark nothing).

    `state` is the person's MatchState as read for this page (or None).
    """
    now = now or timezone.now()
    if state is None:
        MatchState.objects.get_or_create(user=user, defaults={"last_seen_at": now})
        return None
    new_since = match_new_since(state=state, now=now)
    if (
        state.last_seen_at is None
        or now - state.last_seen_at >= SEEN_PRECISION
        or new_since != state.new_since
    ):
        MatchState.objects.filter(pk=state.pk).update(last_seen_at=now, new_since=new_since)
    return new_since
