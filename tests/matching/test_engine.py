"""Tests of the pure matching engine (numpy/scipy only; no Django needed)."""

import math
import os
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from matching import engine as E

NO_GOALS = E.EngineWeights(goal_bonus=0.0)


def _build(person_tags, n_tags, *, values=(), goals=None, weights=NO_GOALS, n_common=8):
    rows = [p for p, tags in enumerate(person_tags) for _ in tags]
    cols = [t for tags in person_tags for t in tags]
    is_value = np.zeros(n_tags, dtype=bool)
    is_value[list(values)] = True
    bits = None
    if goals is not None:
        bits = np.array([E.encode_goals(g) for g in goals], dtype=np.uint16)
    return E.build_matrix(
        np.array(rows, dtype=np.int32),
        np.array(cols, dtype=np.int32),
        len(person_tags),
        n_tags,
        is_value,
        bits,
        weights=weights,
        n_common=n_common,
    )


def _population(n, n_tags=300, seed=0, value_share=0.2):
    """Random people with 3..15 Zipf-popular tags and 1..3 random goals."""
    rng = np.random.default_rng(seed)
    pop = np.arange(1, n_tags + 1, dtype=np.float64) ** -0.6
    pop /= pop.sum()
    person_tags = [
        sorted(rng.choice(n_tags, size=int(rng.integers(3, 16)), replace=False, p=pop).tolist())
        for _ in range(n)
    ]
    goals = [
        list(rng.choice(E.GOALS, size=int(rng.integers(1, 4)), replace=False)) for _ in range(n)
    ]
    values = np.flatnonzero(rng.random(n_tags) < value_share)
    return person_tags, goals, values


def _brute_force(person_tags, n_tags, values, goals, weights):
    """Dense float64 reference: full score matrix, -inf where not a candidate."""
    n = len(person_tags)
    A = np.zeros((n, n_tags))
    for p, tags in enumerate(person_tags):
        A[p, tags] = 1.0
    df = A.sum(axis=0)
    idf = np.log((1 + n) / (1 + df)) + 1
    w = idf * np.where(np.isin(np.arange(n_tags), values), weights.value_weight, 1.0)
    X = A * w
    norms = np.linalg.norm(X, axis=1)
    X[norms > 0] /= norms[norms > 0, None]
    cos = X @ X.T
    bits = np.array([E.encode_goals(g) for g in goals])
    G = E.goal_complementarity(bits[:, None], bits[None, :], weights.goal_pair_cap)
    s = (1 - weights.goal_bonus) * cos + weights.goal_bonus * G
    s[cos <= 1e-12] = -np.inf
    np.fill_diagonal(s, -np.inf)
    return s, cos


def test_hand_checked_cosines():
    # 4 people, 3 interest tags, no goals. df: t0=3 (p0,p1,p2), t1=2 (p0,p1), t2=1 (p3).
    # idf = ln((1+N)/(1+df)) + 1 with N=4: t0 = ln(5/4)+1 = 1.223144, t1 = ln(5/3)+1 = 1.510826.
    # p0 and p1 both hold {t0, t1}: identical rows -> cosine 1.0 -> score 100.
    # p2 holds {t0} only: cos(p0, p2) = 1.223144 / sqrt(1.223144^2 + 1.510826^2)
    #                                 = 1.223144 / 1.943878 = 0.629229 -> score 63.
    # p3 shares no tag with anyone: no candidates, and never a candidate.
    P = _build([[0, 1], [0, 1], [0], [2]], 3)
    res = E.top_k(P, np.arange(4), 3)
    assert res.indices[0].tolist() == [1, 2, -1]
    assert res.cosine[0, :2] == pytest.approx([1.0, 0.629229], abs=1e-5)
    assert res.scores[0].tolist()[:2] == [100, 63]
    assert res.indices[2].tolist() == [0, 1, -1]  # equal scores: lower row first
    assert res.cosine[2, 0] == pytest.approx(0.629229, abs=1e-5)
    assert res.indices[3].tolist() == [-1, -1, -1]
    assert 3 not in res.indices[:3]
    assert P.idf[:2] == pytest.approx([1 + math.log(5 / 4), 1 + math.log(5 / 3)])


def test_value_weight_counts_less_than_interest():
    # q holds interest tag 0 and value tag 1 (same df); a shares the interest, b the value.
    # Value columns are multiplied by 0.8, so the shared interest weighs more.
    people = [[0, 1], [0, 2], [1, 3], [2, 3]]
    P = _build(people, 4, values=[1])
    res = E.top_k(P, np.array([0]), 2)
    assert res.indices[0].tolist() == [1, 2]
    assert res.cosine[0, 0] > res.cosine[0, 1]


def test_rare_shared_interest_outranks_common_one():
    # Tag 0 is common (held by 30 people), tag 1 is rare (held by q and `rare` only).
    # q = {0, 1}; `rare` = {1, 5}; `common` = {0, 6}: same sizes, only rarity differs.
    filler = [[0, 10 + i] for i in range(28)]
    people = [[0, 1], [1, 5], [0, 6], *filler]
    P = _build(people, 40)
    res = E.top_k(P, np.array([0]), 5)
    assert res.indices[0, 0] == 1
    assert list(res.indices[0]).index(2) > 0
    assert res.scores[0, 0] > res.scores[0, list(res.indices[0]).index(2)]


def test_complementary_goals_lift_a_match():
    # a and b have identical tags (same cosine with q); b wants a mentor while q mentors others.
    people = [[0, 1, 2], [0, 1, 3], [0, 1, 3], [7, 8]]
    goals = [["mentor_others"], ["learn"], ["find_mentor"], ["find_mentor"]]
    w = E.EngineWeights(goal_bonus=0.2)
    P = _build(people, 9, goals=goals, weights=w)
    res = E.top_k(P, np.array([0]), 3)
    assert res.indices[0].tolist() == [2, 1, -1]  # row 3 has the goal but no shared tag
    assert res.cosine[0, 0] == pytest.approx(res.cosine[0, 1])
    # goal part is worth exactly 20 points when one complementary pair exists
    assert res.score_float[0, 0] - res.score_float[0, 1] == pytest.approx(0.2)
    assert res.goal[0].tolist()[:2] == [1.0, 0.0]


def test_goal_alone_does_not_make_a_match():
    P = _build(
        [[0], [1]], 2, goals=[["hire"], ["find_job"]], weights=E.EngineWeights(goal_bonus=0.5)
    )
    assert E.top_k(P, np.arange(2), 2).indices.tolist() == [[-1, -1], [-1, -1]]


def test_complementary_goals_pairs():
    a = E.encode_goals(["find_mentor", "hire", "meet_peers", "learn"])
    b = E.encode_goals(["mentor_others", "find_job", "meet_peers", "learn"])
    assert E.complementary_goals(a, b) == [
        ("find_mentor", "mentor_others"),
        ("hire", "find_job"),
        ("meet_peers", "meet_peers"),
    ]
    assert E.complementary_goals(b, a) == [
        ("mentor_others", "find_mentor"),
        ("find_job", "hire"),
        ("meet_peers", "meet_peers"),
    ]
    assert E.complementary_goals(E.encode_goals(["learn"]), E.encode_goals(["learn"])) == []
    pairs = [
        ("raise_funding", "invest"),
        ("find_cofounder", "find_cofounder"),
        ("find_clients", "find_partners"),
    ]
    for x, y in pairs:
        assert E.complementary_goals(E.encode_goals([x]), E.encode_goals([y])) == [(x, y)]
    assert E.decode_goals(a) == ["find_mentor", "hire", "meet_peers", "learn"]


def test_reasons_rarest_first():
    idf = np.array([1.2, 3.0, 2.0, 3.0, 5.0])
    tags, goals = E.reasons(
        [0, 1, 2, 3],
        [3, 2, 1, 0, 4],
        idf,
        E.encode_goals(["invest"]),
        E.encode_goals(["raise_funding"]),
    )
    assert tags == [1, 3, 2, 0]  # idf desc; equal idf -> lower tag id first
    assert goals == [("invest", "raise_funding")]
    P = _build([[0, 1, 2], [1, 2], [0, 1]], 3)
    r = E.pair_reasons(P, 0, 1)
    assert r["tags"] == sorted([1, 2], key=lambda t: (-P.idf[t], t)) and r["goals"] == []


@pytest.mark.parametrize("n_common", [0, 3, 8, 40])
@pytest.mark.parametrize(
    "weights",
    [
        E.EngineWeights(),
        NO_GOALS,
        E.EngineWeights(value_weight=0.5, goal_bonus=0.3, goal_pair_cap=2),
    ],
)
def test_exact_against_brute_force(n_common, weights):
    person_tags, goals, values = _population(400, seed=n_common + 7)
    P = _build(person_tags, 300, values=values, goals=goals, weights=weights, n_common=n_common)
    s, cos = _brute_force(person_tags, 300, values, goals, weights)
    k = 25
    res = E.top_k(P, np.arange(400), k, block_size=37)
    for i in range(400):
        finite = np.sort(s[i][np.isfinite(s[i])])[::-1][:k]
        got = res.score_float[i][res.indices[i] >= 0]
        assert len(got) == len(finite)
        np.testing.assert_allclose(got, finite, atol=1e-5)
        idx = res.indices[i][res.indices[i] >= 0]
        np.testing.assert_allclose(s[i, idx], got, atol=1e-5)
        np.testing.assert_allclose(cos[i, idx], res.cosine[i][: len(idx)], atol=1e-5)
        assert np.all(np.diff(got) <= 1e-12)
    assert np.array_equal(res.scores, E.score_points(res.score_float))


def test_self_excluded_and_ineligible_never_suggested():
    person_tags, goals, values = _population(300, seed=3)
    P = _build(person_tags, 300, values=values, goals=goals, weights=E.EngineWeights())
    rng = np.random.default_rng(1)
    eligible = rng.random(300) > 0.2
    pairs = rng.integers(0, 300, size=(2000, 2))
    for exclude in (
        pairs,
        E.exclusion_matrix(pairs, 300),
        sp.coo_matrix(E.exclusion_matrix(pairs, 300)),
    ):
        res = E.top_k(P, np.arange(300), 30, eligible=eligible, exclude=exclude)
        excluded = set(map(tuple, pairs.tolist()))
        for i in range(300):
            idx = res.indices[i][res.indices[i] >= 0]
            assert i not in idx
            assert eligible[idx].all()
            assert not any((i, int(j)) in excluded for j in idx)
    # ineligible people still get their own list when queried
    assert (res.indices[~eligible, 0] >= 0).any()
    # symmetric exclusion blocks both directions
    m = E.exclusion_matrix(np.array([[0, 1]]), 300, symmetric=True)
    assert m[0, 1] and m[1, 0]


def test_exclusion_does_not_cost_a_slot():
    # excluding someone must still return the next best k, not k - 1
    people = [[0, 1]] + [[0, 1, 2 + i] for i in range(6)]
    P = _build(people, 10)
    full = E.top_k(P, np.array([0]), 3)
    res = E.top_k(P, np.array([0]), 3, exclude=np.array([[0, int(full.indices[0, 0])]]))
    assert res.indices[0].tolist() == [
        *full.indices[0].tolist()[1:],
        E.top_k(P, np.array([0]), 4).indices[0, 3],
    ]


def test_deterministic_tie_break_lower_row_first():
    people = [[0, 1]] + [[0, 1, 2]] * 6  # rows 1..6 are identical
    P = _build(people, 3)
    res = E.top_k(P, np.array([0]), 4)
    assert res.indices[0].tolist() == [1, 2, 3, 4]
    assert len(set(res.score_float[0].tolist())) == 1
    again = E.top_k(P, np.array([0, 0]), 4, block_size=1)
    assert again.indices.tolist() == [[1, 2, 3, 4]] * 2


def test_chunked_and_single_row_runs_equal_full_run():
    person_tags, goals, values = _population(500, seed=11)
    P = _build(person_tags, 300, values=values, goals=goals, weights=E.EngineWeights())
    full = E.top_k(P, np.arange(500), 20)
    parts = [
        E.top_k(P, np.arange(s, min(500, s + 123)), 20, block_size=17) for s in range(0, 500, 123)
    ]
    for name in ("indices", "scores", "cosine", "goal", "score_float"):
        assert np.array_equal(
            np.concatenate([getattr(p, name) for p in parts]), getattr(full, name)
        )
    for i in (0, 77, 499):
        one = E.top_k(P, np.array([i]), 20)
        assert np.array_equal(one.indices[0], full.indices[i])
        assert np.array_equal(one.score_float[0], full.score_float[i])


def test_padding_when_fewer_than_k_candidates():
    P = _build([[0], [0], [1], [1, 2], [3]], 4)
    res = E.top_k(P, np.arange(5), 3)
    assert res.indices.tolist() == [
        [1, -1, -1],
        [0, -1, -1],
        [3, -1, -1],
        [2, -1, -1],
        [-1, -1, -1],
    ]
    assert res.scores[0].tolist() == [100, 0, 0]
    assert res.indices.dtype == np.int32


def test_people_without_tags_get_empty_lists_and_are_never_candidates():
    P = _build([[0, 1], [], [0], []], 2)
    res = E.top_k(P, np.arange(4), 3)
    assert res.indices[1].tolist() == [-1, -1, -1] and res.indices[3].tolist() == [-1, -1, -1]
    assert 1 not in res.indices and 3 not in res.indices


def test_row_scores_match_top_k():
    person_tags, goals, values = _population(300, seed=5)
    P = _build(person_tags, 300, values=values, goals=goals, weights=E.EngineWeights())
    cols, scores, cos = E.row_scores(P, 10)
    res = E.top_k(P, np.array([10]), 300)
    idx = res.indices[0][res.indices[0] >= 0]
    assert sorted(idx.tolist()) == cols.tolist()
    lookup = dict(zip(cols.tolist(), zip(scores.tolist(), cos.tolist(), strict=True), strict=True))
    for j, sc, c in zip(idx, res.scores[0], res.cosine[0], strict=False):
        assert lookup[int(j)][0] == sc
        assert lookup[int(j)][1] == pytest.approx(float(c), abs=1e-6)


def test_weights_argument_overrides_goal_settings_only():
    person_tags, goals, values = _population(200, seed=9)
    P = _build(person_tags, 300, values=values, goals=goals, weights=E.EngineWeights())
    a = E.top_k(P, np.arange(50), 10, weights=NO_GOALS)
    Pn = _build(person_tags, 300, values=values, goals=goals, weights=NO_GOALS)
    b = E.top_k(Pn, np.arange(50), 10)
    assert np.array_equal(a.indices, b.indices)
    with pytest.raises(ValueError):
        E.top_k(P, np.arange(5), 10, weights=E.EngineWeights(value_weight=0.3))


def test_planted_communities():
    # 5 communities x 40 people; each community has its own 15 tags; everyone takes 6-10 of
    # their community's tags plus 2-4 noise tags drawn from 20 globally popular tags.
    rng = np.random.default_rng(42)
    n_comm, size, own, popular = 5, 40, 15, 20
    n_tags = popular + n_comm * own
    pop_p = np.arange(1, popular + 1, dtype=float) ** -0.6
    pop_p /= pop_p.sum()
    people, community = [], []
    for c in range(n_comm):
        base = popular + c * own
        for _ in range(size):
            mine = rng.choice(own, size=int(rng.integers(6, 11)), replace=False) + base
            noise = rng.choice(popular, size=int(rng.integers(2, 5)), replace=False, p=pop_p)
            people.append(sorted(set(mine.tolist()) | set(noise.tolist())))
            community.append(c)
    community = np.array(community)
    goals = [list(rng.choice(E.GOALS, size=2, replace=False)) for _ in people]
    P = _build(people, n_tags, goals=goals, weights=E.EngineWeights())
    res = E.top_k(P, np.arange(len(people)), 10)
    same = community[res.indices] == community[:, None]
    assert (res.indices >= 0).all()
    assert same.mean(axis=1).min() >= 0.9


def test_approximate_mode_returns_exactly_scored_valid_candidates():
    person_tags, goals, values = _population(400, seed=21)
    w = E.EngineWeights()
    P = _build(person_tags, 300, values=values, goals=goals, weights=w)
    s, _ = _brute_force(person_tags, 300, values, goals, w)
    C = E.build_candidate_index(P, rare_tags=6, posting_cap=200, rescore=100)
    eligible = np.ones(400, dtype=bool)
    eligible[::7] = False
    approx = E.top_k(P, np.arange(400), 20, candidates=C, eligible=eligible)
    exact = E.top_k(P, np.arange(400), 20, eligible=eligible)
    hits = 0
    for i in range(400):
        idx = approx.indices[i][approx.indices[i] >= 0]
        assert i not in idx and eligible[idx].all()
        np.testing.assert_allclose(s[i, idx], approx.score_float[i][: len(idx)], atol=1e-5)
        hits += len(set(idx.tolist()) & set(exact.indices[i][exact.indices[i] >= 0].tolist()))
    assert hits / (exact.indices >= 0).sum() > 0.5


def test_bad_arguments_raise():
    P = _build([[0], [0]], 1)
    with pytest.raises(ValueError):
        E.top_k(P, np.array([2]), 1)
    with pytest.raises(ValueError):
        E.top_k(P, np.array([0]), 0)
    with pytest.raises(ValueError):
        E.top_k(P, np.array([0]), 1, eligible=np.ones(3, dtype=bool))
    with pytest.raises(ValueError):
        E.build_matrix(np.array([0]), np.array([5]), 1, 2, np.zeros(2, dtype=bool))


# --- compiled (numba) path against the numpy reference path ---------------------------------

needs_numba = pytest.mark.skipif(not E._HAS_NUMBA, reason="numba not installed")


def _both(P, q, k, eligible=None, exclude=None):
    elig = E._as_eligible(eligible, P.n_people)
    excl = E._as_exclusion(exclude, P.n_people)
    return E._top_k_numba(P, np.asarray(q), k, elig, excl), E._top_k_numpy(
        P, np.asarray(q), k, elig, excl
    )


def _assert_same(a, b):
    for name in ("query_rows", "indices", "scores", "cosine", "goal", "score_float"):
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype, name
        assert np.array_equal(x, y), name


@needs_numba
@pytest.mark.skipif(os.environ.get("INTCH_MATCHING_BACKEND") == "numpy", reason="numpy path forced")
def test_numba_is_the_default_backend():
    assert E.BACKEND == "numba"


@needs_numba
@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize(
    "weights",
    [
        E.EngineWeights(),
        NO_GOALS,
        E.EngineWeights(value_weight=0.5, goal_bonus=0.3, goal_pair_cap=2),
    ],
)
def test_numba_equals_numpy_reference(seed, weights):
    rng = np.random.default_rng(seed)
    n = 600
    person_tags, goals, values = _population(n, n_tags=120, seed=seed)
    for i in rng.choice(n, 30, replace=False):  # people with no tags
        person_tags[i] = []
    dup = rng.choice(n, 40, replace=False)  # identical profiles -> exact ties
    for a, b in zip(dup[:20], dup[20:], strict=True):
        person_tags[b] = list(person_tags[a])
        goals[b] = list(goals[a])
    P = _build(person_tags, 120, values=values, goals=goals, weights=weights, n_common=5)
    eligible = rng.random(n) > 0.15
    pairs = rng.integers(0, n, size=(3000, 2))
    q = np.arange(n)
    for k in (1, 7, 40):
        _assert_same(*_both(P, q, k))
        _assert_same(*_both(P, q, k, eligible=eligible, exclude=pairs))
    # k larger than any candidate list: padded the same way
    _assert_same(*_both(P, q, n + 5, eligible=eligible, exclude=pairs))


@needs_numba
def test_numba_threads_and_chunks_give_identical_results():
    person_tags, goals, values = _population(700, seed=4)
    P = _build(person_tags, 300, values=values, goals=goals, weights=E.EngineWeights())
    before = E.get_num_threads()
    try:
        E.set_num_threads(1)
        one = E.top_k(P, np.arange(700), 15)
        E.set_num_threads(2)
        two = E.top_k(P, np.arange(700), 15)
    finally:
        E.set_num_threads(None if before == E.get_num_threads() else before)
    _assert_same(one, two)
    parts = [E.top_k(P, np.arange(s, min(700, s + 99)), 15) for s in range(0, 700, 99)]
    for name in ("indices", "score_float", "cosine"):
        assert np.array_equal(np.concatenate([getattr(p, name) for p in parts]), getattr(one, name))
    # unordered and repeated query rows
    q = np.array([5, 3, 5, 699, 0])
    sub = E.top_k(P, q, 15)
    assert np.array_equal(sub.indices, one.indices[q])


@needs_numba
def test_numba_reads_few_blocks_and_matches_brute_force():
    # popular tags held by most people: nearly everyone is a candidate, yet only the blocks
    # whose best score reaches the k-th best are read person by person
    rng = np.random.default_rng(5)
    n, n_tags = 800, 60
    pop = np.arange(1, n_tags + 1, dtype=np.float64) ** -1.2
    pop /= pop.sum()
    person_tags = [
        sorted(rng.choice(n_tags, size=int(rng.integers(3, 9)), replace=False, p=pop).tolist())
        for _ in range(n)
    ]
    goals = [list(rng.choice(E.GOALS, size=2, replace=False)) for _ in range(n)]
    w = E.EngineWeights()
    P = _build(person_tags, n_tags, goals=goals, weights=w)
    s, _ = _brute_force(person_tags, n_tags, [], goals, w)
    E._NB_STATS[:] = 0
    res, ref = _both(P, np.arange(n), 10)
    _assert_same(res, ref)
    candidates = int(np.isfinite(s).sum())
    blocks = n * -(-n // E._nb_block_size(n, 10))
    assert E._NB_STATS[3] == n  # rows computed
    assert E._NB_STATS[1] < 0.5 * blocks  # blocks read person by person
    assert E._NB_STATS[2] < 0.2 * candidates  # exact scores offered to the heap
    for i in range(n):
        finite = np.sort(s[i][np.isfinite(s[i])])[::-1][:10]
        got = res.score_float[i][res.indices[i] >= 0]
        np.testing.assert_allclose(got, finite, atol=1e-5)


@needs_numba
@pytest.mark.parametrize("k", [5, 20, 49])
def test_numba_ties_at_the_kth_score_go_to_lower_rows(k):
    # 50 identical profiles (same tags, same goals) spread over 700 rows and many blocks,
    # all tied with each other and ranked right behind 3 better matches: the k-th score
    # falls among the ties, which must go to the lowest rows, as in the numpy path
    rng = np.random.default_rng(k)
    n = 700
    person_tags = [sorted(rng.choice(np.arange(10, 80), size=4, replace=False).tolist())]
    person_tags[0] += [0, 1]
    goals = [["mentor_others"]]
    for _ in range(1, n):
        person_tags.append(sorted(rng.choice(np.arange(10, 80), size=5, replace=False).tolist()))
        goals.append(["learn"])
    tied = np.sort(rng.choice(np.arange(1, n), size=50, replace=False))
    better = [int(r) for r in rng.choice(np.setdiff1d(np.arange(1, n), tied), 3, replace=False)]
    for r in tied:
        person_tags[r], goals[r] = [0, 1, 2], ["find_mentor"]
    for r in better:
        person_tags[r], goals[r] = [0, 1], ["find_mentor"]
    P = _build(person_tags, 80, goals=goals, weights=E.EngineWeights())
    res, ref = _both(P, np.array([0]), k)
    _assert_same(res, ref)
    assert sorted(res.indices[0, :3].tolist()) == sorted(better)
    assert res.indices[0, 3:].tolist() == tied[: k - 3].tolist()
    assert len(set(res.score_float[0, 3:].tolist())) == 1


@needs_numba
def test_numba_people_holding_only_one_common_tag():
    # everyone holds tag 0 and most hold nothing else: they all tie with one another at a low
    # score, and k reaches into that tie
    rng = np.random.default_rng(2)
    n = 900
    person_tags = []
    for i in range(n):
        extra = [] if i % 5 else sorted(rng.choice(np.arange(1, 30), size=3, replace=False))
        person_tags.append([0] + [int(t) for t in extra])
    goals = [list(rng.choice(E.GOALS, size=1)) for _ in range(n)]
    for weights in (NO_GOALS, E.EngineWeights()):
        P = _build(person_tags, 30, goals=goals, weights=weights, n_common=3)
        s, _ = _brute_force(person_tags, 30, [], goals, weights)
        q = np.arange(0, n, 7)
        res, ref = _both(P, q, 300)
        _assert_same(res, ref)
        for row, i in enumerate(q):
            finite = np.sort(s[i][np.isfinite(s[i])])[::-1][:300]
            got = res.score_float[row][res.indices[row] >= 0]
            np.testing.assert_allclose(got, finite, atol=1e-5)


@needs_numba
def test_numba_best_matches_excluded_or_ineligible():
    # the threshold's lower bound counts blocked people: exclude each row's 40 best matches
    # (they fill the best blocks) and make most people ineligible; lists must still be exact
    person_tags, goals, values = _population(1000, n_tags=200, seed=8)
    P = _build(person_tags, 200, values=values, goals=goals, weights=E.EngineWeights())
    q = np.arange(0, 1000, 9)
    best = E.top_k(P, q, 40)
    pairs = np.array(
        [(int(r), int(c)) for r, row in zip(q, best.indices, strict=True) for c in row]
    )
    res, ref = _both(P, q, 30, exclude=pairs)
    _assert_same(res, ref)
    for i in range(len(q)):
        assert not set(res.indices[i].tolist()) & set(best.indices[i].tolist())
    rng = np.random.default_rng(3)
    eligible = rng.random(1000) < 0.1
    _assert_same(*_both(P, q, 30, eligible=eligible, exclude=pairs))
    _assert_same(*_both(P, q, 30, eligible=np.zeros(1000, dtype=bool)))


@needs_numba
@pytest.mark.parametrize("n", [1, 2, 5, 31, 33, 130, 1031])
def test_numba_any_population_size(n):
    # sizes below, at and off the block size and the scoring chunk
    person_tags, goals, values = _population(n, n_tags=40, seed=n)
    P = _build(person_tags, 40, values=values, goals=goals, weights=E.EngineWeights())
    for k in (1, 3, n + 2):
        _assert_same(*_both(P, np.arange(n), k))


def test_block_size_grows_with_population():
    sizes = [E._nb_block_size(n, 100) for n in (10, 1_000, 10_000, 100_000, 1_000_000)]
    assert sizes == [4, 4, 8, 32, 64]
    assert E._nb_block_size(100_000, 10) == 64


@needs_numba
def test_numba_many_tied_offers_are_compacted():
    # 2,500 identical profiles tie for the best score: the threshold cannot rise above the tie,
    # so they are all offered and the offer buffer is compacted to the k best (lowest rows)
    n = 3000
    person_tags = [[0, 1, 2]] + [[0, 1, 3] if i < 2500 else [0, 4, 5] for i in range(1, n)]
    goals = [["hire"]] + [["find_job"]] * (n - 1)
    P = _build(person_tags, 6, goals=goals, weights=E.EngineWeights())
    E._NB_STATS[:] = 0
    res, ref = _both(P, np.array([0, 7, 2999]), 5)
    assert E._NB_STATS[2] > 2 * 2400  # offers from rows 0 and 7, beyond the buffer's 1,024
    _assert_same(res, ref)
    assert res.indices[0].tolist() == [1, 2, 3, 4, 5]
    assert res.indices[1].tolist() == [1, 2, 3, 4, 5]
