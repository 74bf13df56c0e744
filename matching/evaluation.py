"""Offline evaluation of match quality: planted populations, a behaviour model, ranking metrics.

Pure module (numpy + scipy + the engine; no Django, no I/O), used by
`manage.py evaluate_matching` and `bench/evaluation.py`. See docs/matching.md, "Evaluating match
quality", for what each metric means and how the population and the behaviour model are built.

Scoring variants that the engine cannot express (a goal lift that scales with similarity, a
bonus capped by similarity) are computed here from the engine's exact cosines: the engine gives
each person's candidates by cosine alone and with complementary-goal people first, the
variant's formula re-ranks them, and a per-row certificate proves that nobody outside these
pools can reach the top k (rows without one get deeper pools until they have one). So every
variant's lists are exact, and the formula chosen here can later move into the engine with the
same results.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import scipy.sparse as sp

from matching import engine
from profiles.goals import GOAL_COUNT_WEIGHTS, GOAL_WEIGHTS

# The goals whose complementary match is reported on its own: (label, wanted goal, partner goal)
GOAL_GROUPS = (
    ("mentor", "find_mentor", "mentor_others"),
    ("investor", "raise_funding", "invest"),
    ("co-founder", "find_cofounder", "find_cofounder"),
)
COMMUNITY_SIZE = 200  # default people per planted community


# --- The synthetic population ----------------------------------------------------------------


@dataclass(frozen=True)
class PopulationSpec:
    """How a synthetic population with planted interest communities is drawn."""

    n_people: int
    n_communities: int | None = None  # None: one per COMMUNITY_SIZE people
    seed: int = 1
    community_interests: int = 40  # interest tags in each community's pool
    specialist_interests: int = 6000  # the pools are drawn from these, so pools can overlap
    shared_interests: int = 400  # interest tags everybody draws from (long-tail popularity)
    n_values: int = 60  # value tags, shared by all; each community favours a few of them
    community_values: int = 5
    interests: tuple[int, int] = (5, 25)  # interests per person, inclusive
    values: tuple[int, int] = (1, 6)
    community_share: tuple[float, float] = (2.0, 2.0)  # Beta(a, b) share of tags from one's pool
    shared_popularity: float = 0.9  # weight of the shared tag of rank r: 1 / (r + 4) ** this
    community_popularity: float = 0.8  # within a community's pool: 1 / (r + 2) ** this

    @property
    def communities(self) -> int:
        """Number of planted communities."""
        if self.n_communities is not None:
            return self.n_communities
        return max(1, round(self.n_people / COMMUNITY_SIZE))


@dataclass(frozen=True)
class SyntheticPopulation:
    """People as the engine takes them, plus the planted truth: everyone's community."""

    spec: PopulationSpec
    rows: np.ndarray  # (person row, tag column) pairs
    cols: np.ndarray
    n_tags: int
    tag_is_value: np.ndarray
    pools: np.ndarray  # (communities, community_interests): the columns of each pool
    favoured_values: np.ndarray  # (communities, community_values): columns
    goal_bits: np.ndarray
    community: np.ndarray  # row -> planted community

    @property
    def n_people(self) -> int:
        """Number of people."""
        return len(self.community)

    def pattern(self) -> sp.csr_matrix:
        """People x tags 0/1 matrix (float32, CSR)."""
        m = sp.csr_matrix(
            (np.ones(len(self.rows), np.float32), (self.rows, self.cols)),
            shape=(self.n_people, self.n_tags),
        )
        m.sum_duplicates()
        m.data[:] = 1.0
        return m


def _weighted_draws(
    rng: np.random.Generator, log_weights: np.ndarray, counts: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per person, counts[i] distinct items drawn with the given weights (Gumbel top-k).

    log_weights is (people, items). Returns (person index, item) pairs."""
    people, items = log_weights.shape
    top = int(min(items, counts.max(initial=0)))
    if top == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    keys = log_weights + rng.gumbel(size=(people, items))
    if top < items:
        best = np.argpartition(-keys, top - 1, axis=1)[:, :top]
    else:
        best = np.broadcast_to(np.arange(items), (people, items))
    order = np.argsort(-np.take_along_axis(keys, best, 1), axis=1, kind="stable")
    best = np.take_along_axis(best, order, 1)
    keep = np.arange(top)[None, :] < np.minimum(counts, items)[:, None]
    return np.nonzero(keep)[0], best[keep]


def population_make(spec: PopulationSpec) -> SyntheticPopulation:
    """Draw a population with planted communities; the same spec (and seed) gives the same one."""
    n, n_comm = spec.n_people, spec.communities
    if n < 1:
        raise ValueError(f"a population needs at least 1 person (got {n})")
    if not 1 <= n_comm <= n:
        raise ValueError(f"communities must be between 1 and the number of people (got {n_comm})")
    rng = np.random.default_rng(spec.seed)
    size_weights = rng.lognormal(0.0, 0.5, size=n_comm)
    community = rng.choice(n_comm, size=n, p=size_weights / size_weights.sum())
    # Columns: shared interests, then the specialist interests, then the values.
    n_shared, n_pool = spec.shared_interests, spec.community_interests
    first_value = n_shared + spec.specialist_interests
    n_tags = first_value + spec.n_values
    tag_is_value = np.zeros(n_tags, dtype=bool)
    tag_is_value[first_value:] = True
    if not 1 <= n_pool <= spec.specialist_interests:
        raise ValueError("a community pool must hold between 1 and specialist_interests tags")
    pools = n_shared + np.stack(
        [rng.choice(spec.specialist_interests, size=n_pool, replace=False) for _ in range(n_comm)]
    )
    favoured_values = first_value + np.stack(
        [
            rng.choice(spec.n_values, size=spec.community_values, replace=False)
            for _ in range(n_comm)
        ]
    )
    # Popularity: of the shared tags (a long tail), within each pool (its first tags are the
    # community's core), and of values.
    shared_logp = -spec.shared_popularity * np.log(np.arange(n_shared) + 4.0)
    pool_logp = -spec.community_popularity * np.log(np.arange(n_pool) + 2.0)
    value_logp = -0.7 * np.log(np.arange(spec.n_values) + 2.0)

    lo, hi = spec.interests
    n_interests = rng.integers(lo, hi + 1, size=n)
    n_values = rng.integers(spec.values[0], spec.values[1] + 1, size=n)
    share = rng.beta(*spec.community_share, size=n)
    own_interests = np.maximum(1, np.round(share * n_interests)).astype(np.int64)
    own_values = np.round(share * n_values).astype(np.int64)

    rows, cols = [], []
    for start in range(0, n, 5000):
        stop = min(n, start + 5000)
        m = stop - start
        mine = community[start:stop]
        # interests from one's community pool
        p, item = _weighted_draws(
            rng, np.broadcast_to(pool_logp, (m, n_pool)), own_interests[start:stop]
        )
        rows.append(p + start)
        cols.append(pools[mine[p], item])
        # the rest from the shared, long-tailed pool
        rest = n_interests[start:stop] - own_interests[start:stop]
        p, item = _weighted_draws(rng, np.broadcast_to(shared_logp, (m, n_shared)), rest)
        rows.append(p + start)
        cols.append(item)
        # values: the community's favoured ones, then any value by popularity
        p, item = _weighted_draws(rng, np.zeros((m, spec.community_values)), own_values[start:stop])
        rows.append(p + start)
        cols.append(favoured_values[mine[p], item])
        rest = n_values[start:stop] - own_values[start:stop]
        p, item = _weighted_draws(rng, np.broadcast_to(value_logp, (m, spec.n_values)), rest)
        rows.append(p + start)
        cols.append(first_value + item)
    rows_arr = np.concatenate(rows).astype(np.int32)
    cols_arr = np.concatenate(cols).astype(np.int32)
    return SyntheticPopulation(
        spec=spec,
        rows=rows_arr,
        cols=cols_arr,
        n_tags=n_tags,
        tag_is_value=tag_is_value,
        pools=pools,
        favoured_values=favoured_values,
        goal_bits=goals_draw(rng, n),
        community=community,
    )


def goals_draw(rng: np.random.Generator, n_people: int) -> np.ndarray:
    """Goal bitmasks drawn independently of everything else, as common as the demo people's."""
    weights = np.array([GOAL_WEIGHTS[g] for g in engine.GOALS], dtype=np.float64)
    counts = rng.choice(len(GOAL_COUNT_WEIGHTS), size=n_people, p=GOAL_COUNT_WEIGHTS) + 1
    logw = np.broadcast_to(np.log(weights / weights.sum()), (n_people, len(weights)))
    p, goal = _weighted_draws(rng, logw, counts)
    bits = np.zeros(n_people, dtype=np.int64)
    np.bitwise_or.at(bits, p, 1 << goal)
    return bits.astype(np.uint16)


def population_describe(pop: SyntheticPopulation) -> list[str]:
    """Plain-language lines describing a synthetic population (what was drawn, with numbers)."""
    spec, n = pop.spec, pop.n_people
    B = pop.pattern()
    df = np.asarray(B.sum(axis=0)).ravel()
    is_value = pop.tag_is_value
    sizes = np.bincount(pop.community, minlength=spec.communities)
    shared = df[: spec.shared_interests]
    in_pool = np.zeros((spec.communities, pop.n_tags), dtype=bool)
    in_pool[np.arange(spec.communities)[:, None], pop.pools] = True
    interests = np.bincount(pop.rows, ~is_value[pop.cols], minlength=n)
    own = np.bincount(pop.rows, in_pool[pop.community[pop.rows], pop.cols], minlength=n)
    own_share = own / np.maximum(interests, 1)
    pools_per_tag = spec.communities * spec.community_interests / spec.specialist_interests
    lines = [
        f"{n:,} people in {spec.communities:,} planted communities (sizes "
        f"{sizes.min():,}-{sizes.max():,}, median {int(np.median(sizes)):,}), seed {spec.seed}",
        f"tags: {spec.shared_interests} shared interests with a long tail (the most common held "
        f"by {shared.max() / n:.0%} of people, the median one by {np.median(shared) / n:.2%}); "
        f"each community's pool holds {spec.community_interests} of "
        f"{spec.specialist_interests:,} specialist interests (each in {pools_per_tag:.1f} pools "
        f"on average); {spec.n_values} values, {spec.community_values} favoured per community",
        f"per person: {spec.interests[0]}-{spec.interests[1]} interests (mean "
        f"{interests.mean():.1f}) and {spec.values[0]}-{spec.values[1]} values; a share drawn "
        f"from Beta{spec.community_share} of both comes from their community: "
        f"{own_share.mean():.0%} of interests on average, under "
        f"{np.quantile(own_share, 0.1):.0%} for a tenth of people",
    ]
    lines.append(f"goals (1-3 each, independent of tags): {goal_shares(pop.goal_bits)}")
    return lines


def goal_shares(goal_bits: np.ndarray) -> str:
    """ "goal share, ..." for every goal: the share of people who have it."""
    bits = np.asarray(goal_bits, dtype=np.int64)
    return ", ".join(f"{g} {np.mean((bits >> i) & 1):.0%}" for i, g in enumerate(engine.GOALS))


def stored_describe(prepared: engine.PreparedPopulation, eligible: np.ndarray) -> list[str]:
    """Plain-language lines describing a stored population (as the DB layer loaded it)."""
    n = prepared.n_people
    per_person = np.diff(prepared.X.indptr)
    used = prepared.df > 0
    return [
        f"{n:,} active, onboarded people, {int(np.sum(eligible)):,} of them discoverable (may "
        f"be suggested); {int(np.sum(per_person == 0)):,} without any approved tag",
        f"tags: {int(used.sum()):,} of {prepared.n_tags:,} approved tags in use; "
        f"{per_person.mean():.1f} per person on average"
        + (f", the most common held by {prepared.df.max() / n:.0%} of people" if n else ""),
        f"goals: {goal_shares(prepared.goal_bits)}",
    ]


# --- The behaviour model: who would accept whose intro ------------------------------------------


@dataclass(frozen=True)
class BehaviourModel:
    """Chance that the recipient accepts an intro, from what they share with the sender.

    logit = intercept + selectivity of the recipient + per_rare_tag * shared rare tags (at most
    max_rare_tags) + per_common_tag * other shared tags (at most max_common_tags) + goal (when
    the sender answers a goal of the recipient). A tag is rare when at most rare_share of people
    (and at least 2) hold it. A share never_answer of people answer no intro. Each list owner
    sends an intro to send_rate of their top k; someone who receives more than `capacity` intros
    answers only `capacity` of them (the rest are lost, whatever the match).
    """

    intercept: float = -2.4
    per_rare_tag: float = 0.6
    max_rare_tags: int = 5
    per_common_tag: float = 0.1
    max_common_tags: int = 5
    goal: float = 1.2
    selectivity_sd: float = 0.5
    never_answer: float = 0.05
    rare_share: float = 0.02
    send_rate: float = 0.3
    capacity: float = 15.0

    def describe(self) -> str:
        """One line for the report."""
        return (
            f"behaviour model: logit P(accept) = {self.intercept} + {self.per_rare_tag} per shared "
            f"rare tag (held by <= {self.rare_share:.0%} of people, up to {self.max_rare_tags}) + "
            f"{self.per_common_tag} per other shared tag (up to {self.max_common_tags}) + "
            f"{self.goal} if the sender answers one of the recipient's goals + the recipient's "
            f"selectivity (sd {self.selectivity_sd}); {self.never_answer:.0%} never answer; "
            f"{self.send_rate:.0%} of each top k get an intro and nobody answers more than "
            f"{self.capacity:g}"
        )


def behaviour_model_with(overrides: dict[str, str]) -> BehaviourModel:
    """The default behaviour model with some fields changed (name -> text); ValueError if bad."""
    fields = {f.name: f.type for f in dataclasses.fields(BehaviourModel)}
    changes: dict[str, float | int] = {}
    for name, text in overrides.items():
        if name not in fields:
            raise ValueError(
                f"unknown behaviour setting {name!r}; known: {', '.join(sorted(fields))}"
            )
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"behaviour setting {name}: {text!r} is not a number") from None
        if not np.isfinite(value):
            raise ValueError(f"behaviour setting {name}: must be a finite number")
        if fields[name] == "int":
            if value != int(value) or value < 0:
                raise ValueError(f"behaviour setting {name}: must be a whole number >= 0")
            value = int(value)
        changes[name] = value
    model = replace(BehaviourModel(), **changes)  # type: ignore[arg-type]
    for name in ("never_answer", "rare_share", "send_rate"):
        if not 0 <= getattr(model, name) <= 1:
            raise ValueError(f"behaviour setting {name}: must be between 0 and 1")
    if model.capacity <= 0 or model.selectivity_sd < 0:
        raise ValueError("behaviour settings: capacity must be > 0 and selectivity_sd >= 0")
    return model


@dataclass(frozen=True)
class Behaviour:
    """One draw of the behaviour model's per-person parts, for a given population."""

    model: BehaviourModel
    selectivity: np.ndarray  # logit offset of each person as a recipient
    answers: np.ndarray  # bool: False for people who never answer
    pattern: sp.csr_matrix  # people x tags, 0/1
    rare: np.ndarray  # per tag: rare (float 0/1)
    goal_bits: np.ndarray


def behaviour_draw(
    model: BehaviourModel, pattern: sp.csr_matrix, goal_bits: np.ndarray, seed: int
) -> Behaviour:
    """Draw each person's selectivity and whether they answer at all (deterministic by seed)."""
    n = pattern.shape[0]
    rng = np.random.default_rng([seed, 7])
    df = np.diff(pattern.tocsc().indptr)
    return Behaviour(
        model=model,
        selectivity=rng.normal(0.0, model.selectivity_sd, size=n),
        answers=rng.random(n) >= model.never_answer,
        pattern=pattern.tocsr(),
        rare=(df <= max(2.0, model.rare_share * n)).astype(np.float32),
        goal_bits=np.asarray(goal_bits),
    )


def shared_tags(
    pattern: sp.csr_matrix, rare: np.ndarray, a: np.ndarray, b: np.ndarray, chunk: int = 250_000
) -> tuple[np.ndarray, np.ndarray]:
    """(shared rare tags, other shared tags) of each pair (a[i], b[i])."""
    n_rare, n_other = np.zeros(len(a)), np.zeros(len(a))
    for s in range(0, len(a), chunk):
        both = pattern[a[s : s + chunk]].multiply(pattern[b[s : s + chunk]]).tocsr()
        r = both @ rare
        n_rare[s : s + chunk] = r
        n_other[s : s + chunk] = np.asarray(both.sum(axis=1)).ravel() - r
    return n_rare, n_other


def accept_probability(
    behaviour: Behaviour, sender: np.ndarray, recipient: np.ndarray
) -> np.ndarray:
    """P(recipient accepts sender's intro) before any flood of intros (capacity not applied)."""
    m = behaviour.model
    sender = np.asarray(sender, dtype=np.int64)
    recipient = np.asarray(recipient, dtype=np.int64)
    n_rare, n_other = shared_tags(behaviour.pattern, behaviour.rare, sender, recipient)
    goal = engine.goal_complementarity(behaviour.goal_bits[recipient], behaviour.goal_bits[sender])
    logit = (
        m.intercept
        + behaviour.selectivity[recipient]
        + m.per_rare_tag * np.minimum(n_rare, m.max_rare_tags)
        + m.per_common_tag * np.minimum(n_other, m.max_common_tags)
        + m.goal * (goal > 0)
    )
    return behaviour.answers[recipient] / (1.0 + np.exp(-logit))


def capacity_factor(model: BehaviourModel, appearances: np.ndarray) -> np.ndarray:
    """Share of received intros each person can answer: min(1, capacity / intros received)."""
    received = model.send_rate * np.asarray(appearances, dtype=np.float64)
    with np.errstate(divide="ignore"):
        return np.where(received > model.capacity, model.capacity / received, 1.0)


# --- Scoring variants ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Variant:
    """A named way to score: the engine itself (a flat goal bonus) or a formula of (cos, goal).

    kind "engine": the engine's own score (1 - bonus) * cos + bonus * goal.
    kind "lift":   cos * (1 + a * goal), a lift that scales with similarity.
    kind "cap":    cos + min(a, b * cos) * goal, a bonus capped by similarity.
    Every formula is non-decreasing in cos and in goal, which the re-ranking's certificate needs.
    """

    name: str
    kind: str
    a: float = 0.0
    b: float = 0.0

    def formula(self) -> str:
        """The score in plain notation."""
        if self.kind == "engine":
            return "cos" if self.a == 0 else f"{1 - self.a:g}*cos + {self.a:g}*goal"
        if self.kind == "lift":
            return f"cos * (1 + {self.a:g}*goal)"
        return f"cos + min({self.a:g}, {self.b:g}*cos)*goal"

    def score(self, cos: np.ndarray, goal: np.ndarray) -> np.ndarray:
        """Unrounded score (float64) from the engine's float32 cosine and goal term."""
        c = np.asarray(cos).astype(np.float64)
        g = np.asarray(goal).astype(np.float64)
        if self.kind == "engine":
            return (1.0 - self.a) * c + self.a * g
        if self.kind == "lift":
            return c * (1.0 + self.a * g)
        return c + np.minimum(self.a, self.b * c) * g


DEFAULT_VARIANTS = ("shipped", "no-goal", "bonus:0.1", "lift:0.5", "lift:1", "cap:0.1:1")
VARIANT_HELP = (
    "shipped (the configured weights), no-goal, bonus:B (the engine's flat bonus B of the "
    "score, 0 <= B < 1), lift:A (cos * (1 + A*goal), A >= 0), cap:A:C "
    "(cos + min(A, C*cos)*goal, A, C >= 0)"
)


def variant_parse(name: str, shipped: engine.EngineWeights) -> Variant:
    """Parse a variant name (see VARIANT_HELP); raise ValueError with a clear message."""
    text = name.strip()
    head, _, rest = text.partition(":")
    try:
        params = [float(p) for p in rest.split(":")] if rest else []
    except ValueError:
        raise ValueError(f"variant {name!r}: parameters must be numbers") from None
    if any(not np.isfinite(p) for p in params):
        raise ValueError(f"variant {name!r}: parameters must be finite numbers")
    expected = {"shipped": 0, "no-goal": 0, "bonus": 1, "lift": 1, "cap": 2}
    if head not in expected:
        raise ValueError(f"unknown variant {name!r}; known: {VARIANT_HELP}")
    if len(params) != expected[head]:
        raise ValueError(f"variant {name!r} takes {expected[head]} parameter(s); {VARIANT_HELP}")
    if head == "shipped":
        return Variant(text, "engine", shipped.goal_bonus)
    if head == "no-goal":
        return Variant(text, "engine", 0.0)
    if head == "bonus":
        if not 0 <= params[0] < 1:
            raise ValueError(f"variant {name!r}: the bonus must be at least 0 and below 1")
        return Variant(text, "engine", params[0])
    if min(params) < 0:
        raise ValueError(f"variant {name!r}: parameters must not be negative")
    return Variant(text, head, *params)


# --- Ranking -------------------------------------------------------------------------------------


@dataclass
class Ranking:
    """A variant's top k for every query row, and how it was computed."""

    variant: Variant
    indices: np.ndarray  # (rows, k) int, -1 padded
    cosine: np.ndarray
    goal: np.ndarray
    score: np.ndarray  # float64, the variant's unrounded score
    seconds: float  # computing these lists (for a re-ranked variant: the shared pools not included)
    pool_depth: int | None = None  # None: the engine's own lists; else re-ranked from pools
    pool_seconds: float = 0.0  # building the pools the variant was re-ranked from
    deepened: int = 0  # rows that needed deeper pools to prove their top k
    deepest: int = 0


# Goal bonus of the engine run that lists people with a complementary goal first: with a bonus
# of at least 1/2, anyone with a goal pair (goal term 1, cosine > 0) outscores anyone without.
_GOAL_FIRST = 0.5


@dataclass
class _Pool:
    """Candidates of some rows, `depth` deep, from the engine, and what may lie outside them.

    The engine's exact top `depth` by cosine alone ("cosine pool"); with goal_pair_cap 1 also
    its top `depth` with complementary-goal people first ("goal pool"), side by side, each
    person once per row. ceiling0 / ceiling1: per row, the highest cosine that anyone outside
    the pools may have, for people without / with a complementary goal (-inf: nobody).
    """

    depth: int
    indices: np.ndarray  # (rows, width), -1 where empty or a repeat
    cosine: np.ndarray
    goal: np.ndarray
    ceiling0: np.ndarray
    ceiling1: np.ndarray


def _pools(
    prepared: engine.PreparedPopulation,
    rows: np.ndarray,
    depth: int,
    eligible: np.ndarray | None,
    exclude: sp.spmatrix | None,
) -> _Pool:
    """The candidate pools of `rows` (see _Pool)."""
    base = prepared.weights
    by_cos = engine.top_k(
        prepared,
        rows,
        depth,
        eligible=eligible,
        exclude=exclude,
        weights=replace(base, goal_bonus=0),
    )
    outside = by_cos.indices[:, -1] >= 0  # a full pool may have left people out
    ceiling0 = np.where(outside, by_cos.cosine[:, -1], -np.inf)
    if base.goal_pair_cap != 1:  # goal terms between 0 and 1: bound everyone by goal 1
        return _Pool(depth, by_cos.indices, by_cos.cosine, by_cos.goal, ceiling0, ceiling0)
    goal_first = engine.top_k(
        prepared,
        rows,
        depth,
        eligible=eligible,
        exclude=exclude,
        weights=replace(base, goal_bonus=_GOAL_FIRST),
    )
    # Full and still ending with a goal pair: complementary people beyond it have lower cosines.
    goal_left = (goal_first.indices[:, -1] >= 0) & (goal_first.goal[:, -1] > 0)
    ceiling1 = np.where(
        outside & goal_left, np.minimum(ceiling0, goal_first.cosine[:, -1]), -np.inf
    )
    idx = np.concatenate([by_cos.indices, goal_first.indices], axis=1)
    order = np.argsort(idx, axis=1, kind="stable")
    ranked = np.take_along_axis(idx, order, 1)
    repeat = np.zeros(idx.shape, dtype=bool)
    repeat[:, 1:] = (ranked[:, 1:] == ranked[:, :-1]) & (ranked[:, 1:] >= 0)
    np.put_along_axis(idx, order, np.where(repeat, -1, ranked), 1)
    return _Pool(
        depth,
        idx,
        np.concatenate([by_cos.cosine, goal_first.cosine], axis=1),
        np.concatenate([by_cos.goal, goal_first.goal], axis=1),
        ceiling0,
        ceiling1,
    )


def rank(
    prepared: engine.PreparedPopulation,
    variants: Sequence[Variant],
    k: int,
    *,
    eligible: np.ndarray | None = None,
    exclude: sp.spmatrix | None = None,
    pool_depth: int | None = None,
) -> list[Ranking]:
    """Each variant's exact top k for everyone, through the engine (see the module docstring)."""
    n = prepared.n_people
    rows = np.arange(n)
    if not 1 <= k < max(n, 2):
        raise ValueError(f"k must be between 1 and the number of people - 1 (got {k}, {n} people)")
    base = prepared.weights
    # The first call compiles or loads the engine's kernel: keep that out of every timing.
    engine.top_k(prepared, rows[:1], 1, weights=replace(base, goal_bonus=0.0))
    out: list[Ranking] = []
    pool: _Pool | None = None
    pool_seconds = 0.0
    for v in variants:
        t0 = time.perf_counter()
        if v.kind == "engine":
            res = engine.top_k(
                prepared,
                rows,
                k,
                eligible=eligible,
                exclude=exclude,
                weights=replace(base, goal_bonus=v.a),
            )
            seconds = time.perf_counter() - t0
            out.append(Ranking(v, res.indices, res.cosine, res.goal, res.score_float, seconds))
            continue
        if pool is None:
            depth = min(n - 1, max(k, pool_depth or 3 * k))
            pool = _pools(prepared, rows, depth, eligible, exclude)
            pool_seconds = time.perf_counter() - t0
            t0 = time.perf_counter()

        def deeper(which: np.ndarray, depth: int) -> _Pool:
            return _pools(prepared, which, depth, eligible, exclude)

        idx, cos, goal, score, deepened, deepest = rerank_exact(pool, v, k, deeper, n)
        seconds = time.perf_counter() - t0
        out.append(
            Ranking(v, idx, cos, goal, score, seconds, pool.depth, pool_seconds, deepened, deepest)
        )
    return out


def _select(
    idx: np.ndarray, cos: np.ndarray, goal: np.ndarray, v: Variant, k: int
) -> tuple[np.ndarray, ...]:
    """The k best of each row of a pool under the variant, ties to the lower row (as the engine).

    Returns (indices, cosines, goals, scores), -1 / -inf where a row has fewer than k."""
    score = np.where(idx >= 0, v.score(cos, goal), -np.inf)
    tiebreak = np.where(idx >= 0, idx, np.iinfo(np.int32).max)
    order = np.lexsort((tiebreak, -score), axis=-1)[:, :k]
    top_idx, top_score = np.take_along_axis(idx, order, 1), np.take_along_axis(score, order, 1)
    top_idx = np.where(np.isfinite(top_score), top_idx, -1)
    return (
        top_idx,
        np.take_along_axis(cos, order, 1),
        np.take_along_axis(goal, order, 1),
        top_score,
    )


def rerank_exact(
    pool: _Pool,
    v: Variant,
    k: int,
    deeper: Callable[[np.ndarray, int], _Pool],
    n_people: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int, int]:
    """Re-rank the pools with the variant; prove each row exact or deepen its pools.

    Certificate: someone outside a row's pools without a complementary goal has a cosine of at
    most ceiling0, so a score of at most f(ceiling0, 0); someone with one at most f(ceiling1, 1)
    (f is non-decreasing in both). When the row's k-th best score in the pools is strictly above
    both, nobody outside can enter or tie, so the pools' top k is the exact top k. Other rows
    get pools twice as deep, until every row is proven (a pool deeper than the population
    leaves nobody out).
    Returns (indices, cosines, goals, scores, rows that were deepened, deepest pool).
    """
    idx, cos, goal, score = _select(pool.indices, pool.cosine, pool.goal, v, k)
    todo = np.flatnonzero(_unproven(pool, v, k, score))
    deepened = len(todo)
    depth = pool.depth
    while len(todo):
        depth = min(2 * depth, n_people)
        sub = deeper(todo, depth)
        sidx, scos, sgoal, sscore = _select(sub.indices, sub.cosine, sub.goal, v, k)
        idx[todo], cos[todo], goal[todo], score[todo] = sidx, scos, sgoal, sscore
        todo = todo[_unproven(sub, v, k, sscore)]
    return idx, cos, goal, np.where(idx >= 0, score, 0.0), deepened, depth


def _unproven(pool: _Pool, v: Variant, k: int, top_score: np.ndarray) -> np.ndarray:
    """Mask of the rows whose top k is not proven exact (see rerank_exact)."""
    outside0, outside1 = np.isfinite(pool.ceiling0), np.isfinite(pool.ceiling1)
    best0 = v.score(np.where(outside0, pool.ceiling0, 0), np.zeros(len(top_score)))
    best1 = v.score(np.where(outside1, pool.ceiling1, 0), np.ones(len(top_score)))
    bound = np.maximum(np.where(outside0, best0, -np.inf), np.where(outside1, best1, -np.inf))
    nobody_outside = bound == -np.inf
    return ~(nobody_outside | (top_score[:, k - 1] > bound))


# --- Metrics -------------------------------------------------------------------------------------


def gini(values: np.ndarray) -> float | None:
    """Gini coefficient of non-negative values: 0 when all equal; None when they sum to 0."""
    x = np.sort(np.asarray(values, dtype=np.float64))
    total = x.sum()
    if len(x) == 0 or total <= 0:
        return None
    n = len(x)
    return float(2.0 * np.sum(np.arange(1, n + 1) * x) / (n * total) - (n + 1) / n)


def planted_precision(indices: np.ndarray, community: np.ndarray) -> float | None:
    """Mean share of each (non-empty) list that comes from the owner's community."""
    valid = indices >= 0
    filled = valid.sum(axis=1)
    if not filled.any():
        return None
    same = valid & (community[np.maximum(indices, 0)] == community[:, None])
    return float((same.sum(axis=1)[filled > 0] / filled[filled > 0]).mean())


def appearances(indices: np.ndarray, n_people: int) -> np.ndarray:
    """How many lists each person appears in."""
    flat = indices[indices >= 0]
    return np.bincount(flat, minlength=n_people)


@dataclass(frozen=True)
class Exposure:
    """Who gets shown: coverage, Gini of appearances and the most-shown person's share."""

    coverage: float | None  # share of suggestable people in at least one list
    gini: float | None
    max_share: float | None  # most lists one person appears in / non-empty lists


def exposure(indices: np.ndarray, eligible: np.ndarray | None = None) -> Exposure:
    """Exposure metrics over the people who may be suggested (everyone when eligible is None)."""
    n = indices.shape[0]
    shown = appearances(indices, n)
    if eligible is not None:
        shown = shown[np.asarray(eligible, dtype=bool)]
    lists = int((indices >= 0).any(axis=1).sum())
    if len(shown) == 0 or lists == 0:
        return Exposure(None, None, None)
    return Exposure(float(np.mean(shown > 0)), gini(shown), float(shown.max() / lists))


@dataclass(frozen=True)
class GoalFit:
    """For one group of people (those wanting something): who has a partner in their top k."""

    people: int
    share_with_one: float | None  # share with at least one complementary match in the top k
    mean_count: float | None  # mean number of complementary matches in the top k


def goal_fit(indices: np.ndarray, goal_bits: np.ndarray) -> dict[str, GoalFit]:
    """Complementary-goal matches per group of GOAL_GROUPS, and "any" (any complementary pair)."""
    bits = np.asarray(goal_bits, dtype=np.int64)
    valid = indices >= 0
    cand = bits[np.maximum(indices, 0)]
    out = {}
    groups = [
        (label, 1 << engine.GOALS.index(want), 1 << engine.GOALS.index(partner))
        for label, want, partner in GOAL_GROUPS
    ]
    for label, want, partner in groups:
        who = (bits & want) != 0
        hits = (valid & ((cand & partner) != 0))[who].sum(axis=1)
        out[label] = _fit(int(who.sum()), hits)
    comp = engine.goal_complementarity(bits[:, None], cand) > 0
    who = engine.goal_complementarity(bits, np.full_like(bits, (1 << len(engine.GOALS)) - 1)) > 0
    out["any goal"] = _fit(int(who.sum()), (valid & comp)[who].sum(axis=1))
    return out


def _fit(people: int, hits: np.ndarray) -> GoalFit:
    if people == 0:
        return GoalFit(0, None, None)
    return GoalFit(people, float(np.mean(hits > 0)), float(hits.mean()))


@dataclass
class VariantReport:
    """Every metric of one variant (None where it cannot be computed)."""

    ranking: Ranking
    precision: float | None = None
    reciprocal: float | None = None
    exposure: Exposure = field(default_factory=lambda: Exposure(None, None, None))
    goals: dict[str, GoalFit] = field(default_factory=dict)
    logged: dict[str, object] = field(default_factory=dict)


def reciprocal_success(ranking: Ranking, behaviour: Behaviour) -> float | None:
    """Expected share of the top-k intros that the recipient accepts (capacity applied)."""
    idx = ranking.indices
    sender, pos = np.nonzero(idx >= 0)
    if len(sender) == 0:
        return None
    recipient = idx[sender, pos].astype(np.int64)
    p = accept_probability(behaviour, sender, recipient)
    factor = capacity_factor(behaviour.model, appearances(idx, idx.shape[0]))
    return float(np.mean(p * factor[recipient]))


def evaluate(
    rankings: Sequence[Ranking],
    *,
    goal_bits: np.ndarray,
    community: np.ndarray | None = None,
    behaviour: Behaviour | None = None,
    eligible: np.ndarray | None = None,
) -> list[VariantReport]:
    """Metrics of each ranking; planted precision and reciprocal success need the planted truth."""
    return [
        VariantReport(
            ranking=r,
            precision=None if community is None else planted_precision(r.indices, community),
            reciprocal=None if behaviour is None else reciprocal_success(r, behaviour),
            exposure=exposure(r.indices, eligible),
            goals=goal_fit(r.indices, goal_bits),
        )
        for r in rankings
    ]


@dataclass(frozen=True)
class LoggedPairs:
    """Logged outcomes as population rows: answered intros, passes and saves."""

    intro_sender: np.ndarray
    intro_recipient: np.ndarray
    intro_accepted: np.ndarray  # bool, answered intros only
    pass_user: np.ndarray
    pass_other: np.ndarray
    save_user: np.ndarray
    save_other: np.ndarray


MIN_FOR_RATE = 20  # fewer answered intros than this: no rate is printed


@dataclass(frozen=True)
class LoggedFit:
    """How a variant's top k agrees with what people did (logged outcomes)."""

    answered_in: int  # answered intros whose recipient is in the sender's top k
    accepted_in: float | None  # their acceptance rate (None below MIN_FOR_RATE)
    answered_out: int
    accepted_out: float | None
    passes_in: int  # passes on people the variant puts in the passer's top k
    saves_in: int


def _in_top_k(indices: np.ndarray, user: np.ndarray, other: np.ndarray) -> np.ndarray:
    return (indices[user] == np.asarray(other)[:, None]).any(axis=1)


def _rate(hits: np.ndarray) -> float | None:
    return float(hits.mean()) if len(hits) >= MIN_FOR_RATE else None


def logged_fit(indices: np.ndarray, logged: LoggedPairs) -> LoggedFit:
    """Acceptance of answered intros inside and outside the top k; passes and saves in it."""
    inside = _in_top_k(indices, logged.intro_sender, logged.intro_recipient)
    accepted = np.asarray(logged.intro_accepted, dtype=bool)
    return LoggedFit(
        answered_in=int(inside.sum()),
        accepted_in=_rate(accepted[inside]),
        answered_out=int((~inside).sum()),
        accepted_out=_rate(accepted[~inside]),
        passes_in=int(_in_top_k(indices, logged.pass_user, logged.pass_other).sum()),
        saves_in=int(_in_top_k(indices, logged.save_user, logged.save_other).sum()),
    )


def logged_lines(reports: Sequence[VariantReport], logged: LoggedPairs, k: int) -> list[str]:
    """The logged-outcome table: one row per variant."""
    passes, saves = len(logged.pass_user), len(logged.save_user)

    def rate(value: float | None, n: int) -> str:
        return f"{value:.2f} of {n:,}" if value is not None else f"- ({n:,}: too few)"

    header = [
        "variant",
        "score",
        f"accepted, intros to the top {k}",
        "accepted, intros to others",
        f"passes in the top {k}",
        f"saves in the top {k}",
    ]
    rows = []
    for r in reports:
        fit = logged_fit(r.ranking.indices, logged)
        rows.append(
            [
                r.ranking.variant.name,
                r.ranking.variant.formula(),
                rate(fit.accepted_in, fit.answered_in),
                rate(fit.accepted_out, fit.answered_out),
                f"{fit.passes_in:,} of {passes:,}",
                f"{fit.saves_in:,} of {saves:,}",
            ]
        )
    return _table(header, rows)


# --- The report ----------------------------------------------------------------------------------


def _fmt(value: float | None, pattern: str = "{:.3f}") -> str:
    return "-" if value is None else pattern.format(value)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    line = lambda cells: "  ".join(  # noqa: E731
        c.ljust(w) if i < 2 else c.rjust(w)
        for i, (c, w) in enumerate(zip(cells, widths, strict=True))
    ).rstrip()
    return [line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)]


def report_lines(reports: Sequence[VariantReport], k: int) -> list[str]:
    """The results as text tables: one row per variant."""
    header = [
        "variant",
        "score",
        f"planted P@{k}",
        f"reciprocal@{k}",
        "coverage",
        "Gini",
        "max share",
        "seconds",
    ]
    rows = [
        [
            r.ranking.variant.name,
            r.ranking.variant.formula(),
            _fmt(r.precision),
            _fmt(r.reciprocal),
            _fmt(r.exposure.coverage),
            _fmt(r.exposure.gini),
            _fmt(r.exposure.max_share, "{:.2%}"),
            f"{r.ranking.seconds:.1f}",
        ]
        for r in reports
    ]
    lines = _table(header, rows)
    groups = list(reports[0].goals) if reports else []
    if groups:
        people = ", ".join(f"{g} {reports[0].goals[g].people:,}" for g in groups)
        lines += [
            "",
            f"Complementary goal in the top {k}: share of the people who want it with at least "
            "one match that answers it / mean number of such matches",
            f"(people: {people}; 'any goal': everyone with a goal that has a partner)",
        ]
        head = ["variant", "score", *groups]
        body = [
            [
                r.ranking.variant.name,
                r.ranking.variant.formula(),
                *(
                    f"{_fmt(r.goals[g].share_with_one)} / {_fmt(r.goals[g].mean_count, '{:.2f}')}"
                    for g in groups
                ),
            ]
            for r in reports
        ]
        lines += _table(head, body)
    reranked = [r.ranking for r in reports if r.ranking.pool_depth is not None]
    if reranked:
        lines += [
            "",
            f"{', '.join(r.variant.name for r in reranked)}: exact lists, re-ranked from the "
            f"engine's cosines (each person's top {reranked[0].pool_depth} by cosine and top "
            f"{reranked[0].pool_depth} with complementary goals first, built once in "
            f"{reranked[0].pool_seconds:.1f} s; every list proven exact)",
        ]
        lines += [
            f"  {r.variant.name}: {r.deepened:,} people needed deeper pools (up to {r.deepest})"
            for r in reranked
            if r.deepened
        ]
    return lines


@dataclass
class SyntheticRun:
    """A whole synthetic evaluation: the population, the behaviour draw, reports and timings."""

    population: SyntheticPopulation
    behaviour: Behaviour
    reports: list[VariantReport]
    timings: dict[str, float]


def evaluate_synthetic(
    spec: PopulationSpec,
    variants: Sequence[Variant],
    k: int = 10,
    *,
    weights: engine.EngineWeights | None = None,
    model: BehaviourModel | None = None,
) -> SyntheticRun:
    """Draw the population, rank it with every variant, and compute the metrics."""
    if k >= spec.n_people:
        raise ValueError(
            f"k ({k}) must be smaller than the number of people ({spec.n_people}): a list holds "
            "at most everyone else"
        )
    weights = weights or engine.EngineWeights()
    timings = {}
    t0 = time.perf_counter()
    pop = population_make(spec)
    timings["population"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    prepared = engine.build_matrix(
        pop.rows, pop.cols, pop.n_people, pop.n_tags, pop.tag_is_value, pop.goal_bits, weights
    )
    timings["matrix"] = time.perf_counter() - t0
    rankings = rank(prepared, variants, k)
    behaviour = behaviour_draw(model or BehaviourModel(), pop.pattern(), pop.goal_bits, spec.seed)
    t0 = time.perf_counter()
    reports = evaluate(
        rankings, goal_bits=pop.goal_bits, community=pop.community, behaviour=behaviour
    )
    timings["metrics"] = time.perf_counter() - t0
    return SyntheticRun(pop, behaviour, reports, timings)
