"""Matching engine: rank people by shared rare interests/values and complementary goals.

numpy + scipy, plus an optional numba kernel for the exact top k (used when numba imports; the
numpy path gives the same results, bit for bit, and is used otherwise or with
INTCH_MATCHING_BACKEND=numpy).

Pure module: no Django, no I/O. The DB layer maps its ids to dense row / tag indices and back.
See docs/matching.md for the formula, a worked example and the measured performance.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace

import numpy as np
import scipy.sparse as sp

from profiles.goals import COMPLEMENTARY_GOALS as _COMPLEMENTARY_GOALS
from profiles.goals import GOALS as _GOALS

# numba is imported only when the compiled kernel first runs (matching/kernel.py).
_HAS_NUMBA = importlib.util.find_spec("numba") is not None

BACKEND = (
    "numba"
    if _HAS_NUMBA and os.environ.get("INTCH_MATCHING_BACKEND", "numba") != "numpy"
    else "numpy"
)
"""Exact top-k implementation used by `top_k`: "numba" (compiled, default) or "numpy"."""

# Goal codes (bit i of a person's ``goal_bits`` means GOALS[i]) and the symmetric pairs that
# complement each other are defined once, in profiles/goals.py (plain Python, no Django).
GOALS: tuple[str, ...] = _GOALS
COMPLEMENTARY_GOALS: tuple[tuple[str, str], ...] = _COMPLEMENTARY_GOALS

_GOAL_BIT = {name: i for i, name in enumerate(GOALS)}
_N_MASKS = 1 << len(GOALS)
_COMP_OF_BIT = [0] * len(GOALS)
for _a, _b in COMPLEMENTARY_GOALS:
    _COMP_OF_BIT[_GOAL_BIT[_a]] |= 1 << _GOAL_BIT[_b]
    _COMP_OF_BIT[_GOAL_BIT[_b]] |= 1 << _GOAL_BIT[_a]
_MASKS = np.arange(_N_MASKS, dtype=np.int64)
_COMP_LUT = np.zeros(_N_MASKS, dtype=np.uint16)
_POPCOUNT = np.zeros(_N_MASKS, dtype=np.uint8)
for _bit in range(len(GOALS)):
    _has = (_MASKS >> _bit) & 1 == 1
    _COMP_LUT[_has] |= np.uint16(_COMP_OF_BIT[_bit])
    _POPCOUNT += _has.astype(np.uint8)
_EPS = 1e-5  # slack for float32 rounding in every bound comparison


@dataclass(frozen=True)
class EngineWeights:
    """Score weights: tag-kind multipliers and the share of the 0..100 score that goals can add."""

    interest_weight: float = 1.0
    value_weight: float = 0.8
    goal_bonus: float = 0.2
    goal_pair_cap: int = 1


@dataclass(frozen=True)
class PreparedPopulation:
    """Weighted, L2-normalised people x tags matrix plus the derived structures top_k needs."""

    n_people: int
    n_tags: int
    weights: EngineWeights
    df: np.ndarray
    idf: np.ndarray
    tag_weight: np.ndarray
    X: sp.csr_matrix
    XT: sp.csr_matrix
    XR: sp.csr_matrix
    XRT: sp.csr_matrix
    common_tags: np.ndarray
    Xc: np.ndarray
    Xc_by_gamma: np.ndarray
    gamma: np.ndarray
    gamma_order: np.ndarray
    gamma_sorted: np.ndarray
    n_gamma_pos: int
    goal_bits: np.ndarray
    comp_bits: np.ndarray
    cache: dict = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class CandidateIndex:
    """Approximate-mode index: each person's rarest tags; per-tag holder lists capped by weight."""

    rare_tags: int
    posting_cap: int
    rescore: int
    Q: sp.csr_matrix
    PT: sp.csr_matrix


@dataclass(frozen=True)
class TopK:
    """Top-k per query row: indices (-1 padded), 0..100 scores, cosine, goal term, raw score."""

    query_rows: np.ndarray
    indices: np.ndarray
    scores: np.ndarray
    cosine: np.ndarray
    goal: np.ndarray
    score_float: np.ndarray

    @property
    def similarity(self) -> np.ndarray:
        """Alias of `cosine` (the tag similarity in [0, 1])."""
        return self.cosine


def encode_goals(goals: Iterable[str]) -> int:
    """Return the goal bitmask (bit order = GOALS) for an iterable of goal codes."""
    bits = 0
    for g in goals:
        bits |= 1 << _GOAL_BIT[g]
    return bits


def decode_goals(bits: int) -> list[str]:
    """Return the goal codes set in a bitmask, in GOALS order."""
    return [g for i, g in enumerate(GOALS) if (int(bits) >> i) & 1]


def complementary_goals(goal_bits_a: int, goal_bits_b: int) -> list[tuple[str, str]]:
    """Return (goal of a, goal of b) complementary pairs, in GOALS order of a's goal."""
    out = []
    for i, ga in enumerate(GOALS):
        if not (int(goal_bits_a) >> i) & 1:
            continue
        comp = _COMP_OF_BIT[i]
        for j, gb in enumerate(GOALS):
            if (comp >> j) & 1 and (int(goal_bits_b) >> j) & 1:
                out.append((ga, gb))
    return out


def goal_complementarity(
    goal_bits_a: np.ndarray, goal_bits_b: np.ndarray, cap: int = 1
) -> np.ndarray:
    """Return min(#complementary pairs, cap) / cap elementwise for two goal-bitmask arrays."""
    a = np.asarray(goal_bits_a, dtype=np.int64) & (_N_MASKS - 1)
    b = np.asarray(goal_bits_b, dtype=np.int64) & (_N_MASKS - 1)
    n = _POPCOUNT[_COMP_LUT[a].astype(np.int64) & b]
    return np.minimum(n, cap).astype(np.float64) / cap


def reasons(
    tags_a: Sequence[int],
    tags_b: Sequence[int],
    idf: np.ndarray,
    goal_bits_a: int = 0,
    goal_bits_b: int = 0,
) -> tuple[list[int], list[tuple[str, str]]]:
    """Return (shared tag ids rarest first (idf desc, then id asc), complementary goal pairs)."""
    shared = np.intersect1d(np.asarray(tags_a, dtype=np.int64), np.asarray(tags_b, dtype=np.int64))
    idf = np.asarray(idf, dtype=np.float64)
    order = np.lexsort((shared, -idf[shared]))
    return [int(t) for t in shared[order]], complementary_goals(goal_bits_a, goal_bits_b)


def build_matrix(
    rows: np.ndarray,
    cols: np.ndarray,
    n_people: int,
    n_tags: int,
    tag_is_value: np.ndarray,
    goal_bits: np.ndarray | None = None,
    weights: EngineWeights = EngineWeights(),
    n_common: int = 8,
) -> PreparedPopulation:
    """Build the prepared population from COO (person row, tag column) pairs; duplicates ignored."""
    rows = np.asarray(rows, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    tag_is_value = np.asarray(tag_is_value, dtype=bool)
    if tag_is_value.shape != (n_tags,):
        raise ValueError("tag_is_value must have one entry per tag")
    if not 0.0 <= weights.goal_bonus < 1.0 or weights.goal_pair_cap < 1:
        raise ValueError("goal_bonus must be in [0, 1) and goal_pair_cap >= 1")
    if len(rows) and (
        rows.min() < 0 or rows.max() >= n_people or cols.min() < 0 or cols.max() >= n_tags
    ):
        raise ValueError("row or column index out of range")
    pattern = sp.csr_matrix(
        (np.ones(len(rows), dtype=np.float64), (rows, cols)), shape=(n_people, n_tags)
    )
    pattern.sum_duplicates()
    pattern.sort_indices()
    df = np.bincount(pattern.indices, minlength=n_tags).astype(np.int64)
    idf = np.log((1.0 + n_people) / (1.0 + df)) + 1.0
    tag_weight = idf * np.where(tag_is_value, weights.value_weight, weights.interest_weight)
    data = tag_weight[pattern.indices]
    lens = np.diff(pattern.indptr)
    sq = np.bincount(np.repeat(np.arange(n_people), lens), data * data, minlength=n_people)
    norms = np.sqrt(np.where(lens > 0, sq, 0.0))
    safe = np.where(norms > 0, norms, 1.0)
    data = data / np.repeat(safe, lens)
    X = sp.csr_matrix(
        (
            data.astype(np.float32),
            pattern.indices.astype(np.int32),
            pattern.indptr.astype(np.int32),
        ),
        shape=(n_people, n_tags),
    )
    X.eliminate_zeros()
    X.sort_indices()
    XT = X.T.tocsr()
    XT.sort_indices()

    present = np.flatnonzero(df > 0)
    order = present[np.lexsort((present, -df[present]))]
    common = np.sort(order[: max(0, min(int(n_common), len(order)))]).astype(np.int64)
    is_common = np.zeros(n_tags, dtype=bool)
    is_common[common] = True
    keep = ~is_common[X.indices]
    XR = sp.csr_matrix((X.data * keep, X.indices.copy(), X.indptr.copy()), shape=X.shape)
    XR.eliminate_zeros()
    XR.sort_indices()
    XRT = XR.T.tocsr()
    XRT.sort_indices()
    Xc = np.ascontiguousarray(X[:, common].toarray(), dtype=np.float32)
    gamma = np.sqrt((Xc.astype(np.float64) ** 2).sum(axis=1)).astype(np.float32)
    gamma_order = np.lexsort((np.arange(n_people), -gamma)).astype(np.int64)
    gamma_sorted = gamma[gamma_order]
    gb = np.zeros(n_people, dtype=np.int64) if goal_bits is None else np.asarray(goal_bits)
    if gb.shape != (n_people,):
        raise ValueError("goal_bits must have one entry per person")
    gb = (gb.astype(np.int64) & (_N_MASKS - 1)).astype(np.uint16)
    return PreparedPopulation(
        n_people=int(n_people),
        n_tags=int(n_tags),
        weights=weights,
        df=df,
        idf=idf,
        tag_weight=tag_weight,
        X=X,
        XT=XT,
        XR=XR,
        XRT=XRT,
        common_tags=common,
        Xc_by_gamma=np.ascontiguousarray(Xc[gamma_order]),
        Xc=Xc,
        gamma=gamma,
        gamma_order=gamma_order,
        gamma_sorted=gamma_sorted,
        n_gamma_pos=int(np.count_nonzero(gamma > 0)),
        goal_bits=gb,
        comp_bits=_COMP_LUT[gb.astype(np.int64)],
    )


def build_candidate_index(
    prepared: PreparedPopulation, rare_tags: int = 8, posting_cap: int = 2000, rescore: int = 400
) -> CandidateIndex:
    """Approximate-mode index: query by each person's rarest tags; per tag keep the top holders."""
    X = prepared.X
    n = prepared.n_people
    lens = np.diff(X.indptr)
    r = np.repeat(np.arange(n, dtype=np.int64), lens)
    c = X.indices.astype(np.int64)
    v = X.data
    # query side: each person's `rare_tags` rarest tags (idf desc, tag id asc), with their weights
    o = np.lexsort((c, -prepared.idf[c], r))
    pos = np.arange(len(o)) - np.repeat(X.indptr[:-1], lens)
    qs = o[pos < rare_tags]
    Qm = sp.csr_matrix((v[qs], (r[qs], c[qs])), shape=X.shape)
    # index side: per tag, the `posting_cap` holders for whom it weighs most (ties: lower row)
    o2 = np.lexsort((r, -v, c))
    tcounts = np.bincount(c, minlength=prepared.n_tags)
    tstart = np.concatenate(([0], np.cumsum(tcounts)[:-1]))
    pos2 = np.arange(len(o2)) - np.repeat(tstart, tcounts)
    ps = o2[pos2 < posting_cap]
    PT = sp.csr_matrix((v[ps], (c[ps], r[ps])), shape=(prepared.n_tags, n))
    return CandidateIndex(int(rare_tags), int(posting_cap), int(rescore), Qm.tocsr(), PT)


def exclusion_matrix(pairs: np.ndarray, n_people: int, symmetric: bool = False) -> sp.csr_matrix:
    """Return a boolean CSR exclusion matrix from (query_row, candidate_row) pairs."""
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    a, b = pairs[:, 0], pairs[:, 1]
    if symmetric:
        a, b = np.concatenate([a, b]), np.concatenate([b, a])
    m = sp.csr_matrix((np.ones(len(a), dtype=bool), (a, b)), shape=(n_people, n_people))
    m.sum_duplicates()
    return m


def top_k(
    prepared: PreparedPopulation,
    query_rows: np.ndarray,
    k: int,
    *,
    eligible: np.ndarray | None = None,
    exclude: sp.spmatrix | np.ndarray | None = None,
    block_size: int = 256,
    candidates: CandidateIndex | None = None,
    weights: EngineWeights | None = None,
) -> TopK:
    """Return the k best matches of each query row (exact; approximate if `candidates` given)."""
    P = _with_weights(prepared, weights)
    q = np.asarray(query_rows, dtype=np.int64).ravel()
    if len(q) and (q.min() < 0 or q.max() >= P.n_people):
        raise ValueError("query row out of range")
    if k < 1:
        raise ValueError("k must be >= 1")
    elig = _as_eligible(eligible, P.n_people)
    excl = _as_exclusion(exclude, P.n_people)
    if candidates is None and BACKEND == "numba":
        return _top_k_numba(P, q, k, elig, excl)
    return _top_k_numpy(P, q, k, elig, excl, block_size, candidates)


def _top_k_numpy(
    P: PreparedPopulation,
    q: np.ndarray,
    k: int,
    elig: np.ndarray | None,
    excl: sp.csr_matrix | None,
    block_size: int = 256,
    candidates: CandidateIndex | None = None,
) -> TopK:
    """Vectorised numpy/scipy top-k (the reference path; also the approximate mode)."""
    nq = len(q)
    out_idx = np.full((nq, k), -1, dtype=np.int32)
    out_score = np.zeros((nq, k), dtype=np.int16)
    out_cos = np.zeros((nq, k), dtype=np.float32)
    out_goal = np.zeros((nq, k), dtype=np.float32)
    out_sf = np.zeros((nq, k), dtype=np.float64)
    step = max(1, int(block_size))
    for s in range(0, nq, step):
        Q = q[s : s + step]
        if candidates is None:
            rl, cc = _exact_candidates(P, Q, k, elig, excl)
        else:
            rl, cc = _approx_candidates(P, Q, candidates, elig, excl)
        rl, cc, cos, goal, sf = _rescore_select(P, Q, rl, cc, k)
        pos = np.arange(len(rl)) - np.searchsorted(rl, rl, side="left")
        out_idx[s + rl, pos] = cc
        out_cos[s + rl, pos] = cos
        out_goal[s + rl, pos] = goal
        out_sf[s + rl, pos] = sf
        out_score[s + rl, pos] = score_points(sf)
    return TopK(q, out_idx, out_score, out_cos, out_goal, out_sf)


def score_points(score_float: np.ndarray) -> np.ndarray:
    """Round unrounded scores in [0, 1] to integer points 0..100 (half up)."""
    return np.floor(100.0 * np.asarray(score_float, dtype=np.float64) + 0.5).astype(np.int16)


def row_scores(
    prepared: PreparedPopulation,
    row: int,
    *,
    eligible: np.ndarray | None = None,
    weights: EngineWeights | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (rows, 0..100 scores, cosines) of everyone sharing a tag with `row`, self excluded."""
    P = _with_weights(prepared, weights)
    row = int(row)
    S = P.X[[row]] @ P.XT
    cols = S.indices.astype(np.int64)
    cos = S.data.astype(np.float32)
    keep = (cos > 0) & (cols != row)
    elig = _as_eligible(eligible, P.n_people)
    if elig is not None:
        keep &= elig[cols]
    cols, cos = cols[keep], cos[keep]
    order = np.argsort(cols)
    cols, cos = cols[order], cos[order]
    g = P.weights.goal_bonus
    goal = _goal_term(P, np.full(len(cols), P.comp_bits[row], dtype=np.uint16), cols)
    sf = (1.0 - g) * cos.astype(np.float64) + g * goal.astype(np.float64)
    return cols, score_points(sf), cos


def pair_reasons(prepared: PreparedPopulation, row_a: int, row_b: int) -> dict:
    """Return {"tags": shared tag columns rarest first, "goals": complementary goal pairs}."""
    X = prepared.X
    tags_a = X.indices[X.indptr[row_a] : X.indptr[row_a + 1]]
    tags_b = X.indices[X.indptr[row_b] : X.indptr[row_b + 1]]
    tags, goals = reasons(
        tags_a,
        tags_b,
        prepared.idf,
        int(prepared.goal_bits[row_a]),
        int(prepared.goal_bits[row_b]),
    )
    return {"tags": tags, "goals": goals}


def _with_weights(P: PreparedPopulation, weights: EngineWeights | None) -> PreparedPopulation:
    """Use the goal settings of `weights`; tag weights are baked in at build time and must match."""
    if weights is None or weights == P.weights:
        return P
    if (weights.interest_weight, weights.value_weight) != (
        P.weights.interest_weight,
        P.weights.value_weight,
    ):
        raise ValueError("interest/value weights differ from build_matrix's: rebuild the matrix")
    if not 0.0 <= weights.goal_bonus < 1.0 or weights.goal_pair_cap < 1:
        raise ValueError("goal_bonus must be in [0, 1) and goal_pair_cap >= 1")
    return replace(P, weights=weights)


def _as_eligible(eligible: np.ndarray | None, n: int) -> np.ndarray | None:
    """Normalise the eligibility mask; None means everyone is eligible."""
    if eligible is None:
        return None
    elig = np.asarray(eligible, dtype=bool)
    if elig.shape != (n,):
        raise ValueError("eligible must have one entry per person")
    return None if elig.all() else elig


def _as_exclusion(exclude: sp.spmatrix | np.ndarray | None, n: int) -> sp.csr_matrix | None:
    """Normalise the exclusion argument to a boolean CSR (n x n) matrix or None."""
    if exclude is None:
        return None
    if sp.issparse(exclude):
        m = sp.csr_matrix(exclude, dtype=bool)
        if m.shape != (n, n):
            raise ValueError("exclude must be n_people x n_people")
        m.eliminate_zeros()
        return m if m.nnz else None
    arr = np.asarray(exclude)
    if arr.size == 0:
        return None
    return exclusion_matrix(arr, n)


def _masked_columns(P: PreparedPopulation, name: str, M: sp.csr_matrix, elig: np.ndarray | None):
    """Return M (tags x people) without the columns of ineligible people, cached per mask."""
    if elig is None:
        return M
    key = (name, hash(elig.tobytes()))
    hit = P.cache.get(key)
    if hit is not None and np.array_equal(hit[0], elig):
        return hit[1]
    out = sp.csr_matrix((M.data * elig[M.indices], M.indices.copy(), M.indptr.copy()), M.shape)
    out.eliminate_zeros()
    if len(P.cache) > 8:
        P.cache.clear()
    P.cache[key] = (elig.copy(), out)
    return out


def _valid(
    P: PreparedPopulation,
    Q: np.ndarray,
    rl: np.ndarray,
    cc: np.ndarray,
    elig: np.ndarray | None,
    excl: sp.csr_matrix | None,
) -> np.ndarray:
    """Mask of candidate pairs that are not self, eligible and not excluded."""
    ok = cc != Q[rl]
    if elig is not None:
        ok &= elig[cc]
    if excl is not None and len(rl):
        E = excl[Q]
        if E.nnz:
            er = np.repeat(np.arange(len(Q), dtype=np.int64), np.diff(E.indptr))
            ek = np.sort(er * P.n_people + E.indices)
            keys = rl.astype(np.int64) * P.n_people + cc
            pos = np.minimum(np.searchsorted(ek, keys), len(ek) - 1)
            ok &= ek[pos] != keys
    return ok


def _goal_term(P: PreparedPopulation, comp_q: np.ndarray, cc: np.ndarray) -> np.ndarray:
    """Goal complementarity in [0, 1] (float32) of pairs, from the query's complement mask."""
    hits = comp_q & P.goal_bits[cc]
    cap = P.weights.goal_pair_cap
    if cap == 1:
        return (hits != 0).astype(np.float32)
    return np.minimum(_POPCOUNT[hits], cap).astype(np.float32) / np.float32(cap)


def _exact_candidates(
    P: PreparedPopulation,
    Q: np.ndarray,
    k: int,
    elig: np.ndarray | None,
    excl: sp.csr_matrix | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Candidate pairs (local row, column) that provably contain the exact top-k of each query."""
    b = len(Q)
    g = np.float32(P.weights.goal_bonus)
    one_g = np.float32(1.0) - g
    # 1. rare-tag part of every pair sharing a rare tag (one sparse product for the block)
    R = P.XR[Q] @ _masked_columns(P, "XRT", P.XRT, elig)
    cc, v = R.indices, R.data
    comp_q = P.comp_bits[Q]
    # 2.-3. Per row: lower bound of each pair's score = rare part + exact goal term; theta = the
    # row's k-th best lower bound; keep pairs whose upper bound (adding gamma_i * gamma_j, a
    # Cauchy-Schwarz bound of the common-tag part) reaches theta. Self and excluded pairs are
    # still in R, so the rank used for theta is raised by their count. The loop is over query
    # rows (not pairs): each row's segment stays in cache, measured several times faster than
    # the same steps vectorised over the block.
    kk = np.full(b, k + 1, dtype=np.int64)
    if excl is not None:
        kk += np.diff(excl[Q].indptr)
    gq = P.gamma[Q]
    gamma_max = float(P.gamma_sorted[0]) if P.n_people else 0.0
    cap = P.weights.goal_pair_cap
    theta = np.zeros(b)
    picked = []
    indptr = R.indptr
    for r in range(b):
        start, stop = int(indptr[r]), int(indptr[r + 1])
        pos = stop - start - int(kk[r])
        seg_c = cc[start:stop]
        lb = v[start:stop] * one_g
        if g > 0:
            hits = P.goal_bits[seg_c] & comp_q[r]
            if cap == 1:
                np.add(lb, g, out=lb, where=hits != 0)
            else:
                lb += (g / np.float32(cap)) * np.minimum(_POPCOUNT[hits], cap)
        if pos < 0:
            picked.append(np.arange(start, stop))
            continue
        th = float(np.partition(lb, pos)[pos]) - _EPS
        theta[r] = th
        slack = float(one_g) * float(gq[r])
        idx = np.flatnonzero(lb >= np.float32(th - slack * gamma_max))
        if slack > 0 and len(idx):
            ub = lb[idx] + np.float32(slack) * P.gamma[seg_c[idx]]
            idx = idx[ub >= np.float32(th)]
        picked.append(idx + start)
    sel = np.concatenate(picked) if picked else np.zeros(0, np.int64)
    r1 = np.searchsorted(indptr, sel, side="right") - 1
    c1 = cc[sel].astype(np.int64)
    ok = _valid(P, Q, r1, c1, None, excl)
    r1, c1 = r1[ok], c1[ok]
    # 4. pairs sharing only common tags: score <= (1-g)*gamma_i*gamma_j + g*goal_max, so only
    #    a prefix of people sorted by gamma can reach the threshold.
    cap = P.weights.goal_pair_cap
    gmax = np.minimum(_POPCOUNT[comp_q], cap) / cap if g > 0 else np.zeros(b)
    with np.errstate(divide="ignore", invalid="ignore"):
        tau = (theta - float(g) * gmax) / (float(one_g) * gq) - _EPS
    need = np.where(gq > 0, np.searchsorted(-P.gamma_sorted, -tau, side="right"), 0)
    need = np.minimum(need, P.n_gamma_pos)
    r2, c2 = _common_only_candidates(P, Q, need, theta, comp_q, elig, excl)
    if len(r2) == 0:
        return r1, c1
    new = ~np.isin(r2 * P.n_people + c2, r1 * P.n_people + c1)
    return np.concatenate([r1, r2[new]]), np.concatenate([c1, c2[new]])


def _common_only_candidates(
    P: PreparedPopulation,
    Q: np.ndarray,
    need: np.ndarray,
    theta: np.ndarray,
    comp_q: np.ndarray,
    elig: np.ndarray | None,
    excl: sp.csr_matrix | None,
    budget: int = 1 << 22,
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs whose common-tag part alone may reach the row threshold (dense BLAS on a prefix)."""
    rows = np.flatnonzero(need > 0)
    empty = np.zeros(0, np.int64)
    if len(rows) == 0:
        return empty, empty
    g = np.float32(P.weights.goal_bonus)
    one_g = np.float32(1.0) - g
    rows = rows[np.argsort(need[rows], kind="stable")]
    out_r, out_c = [empty], [empty]
    i = 0
    while i < len(rows):
        j = i + 1
        while j < len(rows) and (j - i + 1) * int(need[rows[j]]) <= budget:
            j += 1
        sub = rows[i:j]
        width = int(need[rows[j - 1]])
        Cm = P.Xc[Q[sub]] @ P.Xc_by_gamma[:width].T
        bound = one_g * Cm + (g + np.float32(_EPS))
        mask = (Cm > 0) & (bound >= theta[sub, None])
        mask &= np.arange(width)[None, :] < need[sub, None]
        a, pcol = np.nonzero(mask)
        rl = sub[a]
        cc = P.gamma_order[pcol]
        if g > 0 and len(rl):
            s = one_g * Cm[a, pcol] + g * _goal_term(P, comp_q[rl], cc) + np.float32(_EPS)
            keep = s >= theta[rl]
            rl, cc = rl[keep], cc[keep]
        ok = _valid(P, Q, rl, cc, elig, excl)
        out_r.append(rl[ok])
        out_c.append(cc[ok])
        i = j
    return np.concatenate(out_r), np.concatenate(out_c)


def _approx_candidates(
    P: PreparedPopulation,
    Q: np.ndarray,
    C: CandidateIndex,
    elig: np.ndarray | None,
    excl: sp.csr_matrix | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Approximate candidates: best `C.rescore` per row by partial score over the indexed tags."""
    S = C.Q[Q] @ _masked_columns(P, ("PT", C.rare_tags, C.posting_cap), C.PT, elig)
    rl = np.repeat(np.arange(len(Q), dtype=np.int64), np.diff(S.indptr))
    cc = S.indices.astype(np.int64)
    ok = _valid(P, Q, rl, cc, None, excl)
    rl, cc = rl[ok], cc[ok]
    g = P.weights.goal_bonus
    part = (1.0 - g) * S.data[ok] + g * _goal_term(P, P.comp_bits[Q][rl], cc)
    order = np.lexsort((cc, -part, rl))
    rank = np.arange(len(order)) - np.searchsorted(rl[order], rl[order], side="left")
    keep = order[rank < C.rescore]
    return rl[keep], cc[keep]


def _pair_cosine(
    P: PreparedPopulation, Q: np.ndarray, rl: np.ndarray, cc: np.ndarray
) -> np.ndarray:
    """Exact cosine of pairs (Q[rl], cc): each candidate row dotted with its query's dense row."""
    if len(rl) == 0:
        return np.zeros(0, dtype=np.float32)
    T = P.n_tags
    XQ = P.X[Q].toarray().ravel()
    sub = P.X[cc]
    lens = np.diff(sub.indptr)
    idx_dtype = np.int32 if len(Q) * T < 2**31 and sub.nnz < 2**31 else np.int64
    idx = sub.indices.astype(idx_dtype) + np.repeat((rl * T).astype(idx_dtype), lens)
    Z = sp.csr_matrix((sub.data, idx, sub.indptr.astype(idx_dtype)), shape=(len(rl), len(Q) * T))
    return np.asarray(Z @ XQ, dtype=np.float32)


def _rescore_select(
    P: PreparedPopulation, Q: np.ndarray, rl: np.ndarray, cc: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Exact scores for candidate pairs, then the k best per row (score desc, row index asc)."""
    cos = _pair_cosine(P, Q, rl, cc)
    pos = cos > 0
    rl, cc, cos = rl[pos], cc[pos], cos[pos]
    g = P.weights.goal_bonus
    goal = _goal_term(P, P.comp_bits[Q][rl], cc)
    sf = (1.0 - g) * cos.astype(np.float64) + g * goal.astype(np.float64)
    order = np.lexsort((cc, -sf, rl))
    rl, cc, cos, goal, sf = rl[order], cc[order], cos[order], goal[order], sf[order]
    rank = np.arange(len(rl)) - np.searchsorted(rl, rl, side="left")
    keep = rank < k
    return rl[keep], cc[keep], cos[keep], goal[keep], sf[keep]


# ---------------------------------------------------------------------------------------------
# Compiled exact kernel (numba). Same results as the numpy path above, bit for bit.
# ---------------------------------------------------------------------------------------------

_NB_CHUNK = 64  # query rows per work item handed to a thread


_NUM_THREADS: int | None = None
# counters of the kernel, over all calls: postings read, blocks read person by person, people
# offered with their exact score, rows computed
_NB_STATS = np.zeros(4, dtype=np.int64)
_TLS = threading.local()


def set_num_threads(n: int | None) -> None:
    """Threads the compiled kernel may use for one `top_k` call (None: all CPUs available)."""
    global _NUM_THREADS
    _NUM_THREADS = None if n is None else max(1, int(n))


def get_num_threads() -> int:
    """Threads the compiled kernel uses for one `top_k` call."""
    if _NUM_THREADS is not None:
        return _NUM_THREADS
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _nb_arrays(P: PreparedPopulation) -> dict:
    """Flat arrays the kernel reads, derived once per prepared population (cached on it)."""
    hit = P.cache.get("numba")
    if hit is not None:
        return hit
    X, XT = P.X, P.XT
    out = {
        "Xp": X.indptr.astype(np.int64),
        "Xi": X.indices.astype(np.int32),
        "Xd": X.data.astype(np.float32),
        "Tp": XT.indptr.astype(np.int64),
        # unsigned, so that the kernel's hottest loop indexes without wraparound checks
        "Ti": XT.indices.astype(np.uint32),
        "Td": XT.data.astype(np.float32),
        "popcount": _POPCOUNT,
    }
    P.cache["numba"] = out
    return out


def _nb_block_size(n: int, k: int) -> int:
    """People per block of the kernel's block maxima: a power of 2 near sqrt(n / k), 4..64.

    About k blocks are read person by person and n / bs block maxima are binned per row;
    this balances the two.
    """
    return int(min(64, max(4, 2 ** round(np.log2(max(1.0, (n / k) ** 0.5))))))


def _nb_buffers(n: int, k: int) -> tuple:
    """Work buffers of one thread, reused across calls (the kernel leaves them as found)."""
    key = (n, k)
    bufs = getattr(_TLS, "bufs", None)
    if bufs is None or bufs[0] != key:
        bs = _nb_block_size(n, k)
        sbuf = np.zeros(2048, dtype=np.float32)  # scores of a chunk of people
        bmax = np.zeros(-(-n // bs), dtype=np.int32)  # best score of each block of bs people
        bufs = (
            key,
            (
                bs,
                np.zeros(n, dtype=np.float32),  # acc
                np.zeros(n, dtype=np.uint8),  # blocked
                sbuf,
                sbuf.view(np.int32),  # the same scores as bit patterns
                bmax,
                bmax.view(np.float32),  # the same maxima as floats
                np.zeros(512, dtype=np.int32),  # hist
                np.zeros(max(4 * k, 1024), dtype=np.float64),  # offers: exact score
                np.zeros(max(4 * k, 1024), dtype=np.int32),  # offers: row
                np.zeros(max(4 * k, 1024), dtype=np.float64),  # scratch of the sort
                np.zeros(max(4 * k, 1024), dtype=np.int32),  # scratch of the sort
            ),
        )
        _TLS.bufs = bufs
    return bufs[1]


def _top_k_numba(
    P: PreparedPopulation,
    q: np.ndarray,
    k: int,
    elig: np.ndarray | None,
    excl: sp.csr_matrix | None,
) -> TopK:
    """Exact top-k with the compiled kernel, rows shared among threads in chunks."""
    # Imported here: kernel imports numba, which web processes must never pay for.
    from matching import kernel

    A = _nb_arrays(P)
    n, nq = P.n_people, len(q)
    out_idx = np.full((nq, k), -1, dtype=np.int32)
    out_cos = np.zeros((nq, k), dtype=np.float32)
    out_goal = np.zeros((nq, k), dtype=np.float32)
    out_sf = np.zeros((nq, k), dtype=np.float64)
    if excl is None:
        ex_ptr = np.zeros(nq + 1, dtype=np.int64)
        ex_idx = np.zeros(0, dtype=np.int32)
    else:
        E = excl[q]
        ex_ptr = E.indptr.astype(np.int64)
        ex_idx = E.indices.astype(np.int32)
    el = np.ones(n, dtype=np.uint8) if elig is None else elig.astype(np.uint8)
    args = (
        q,
        int(k),
        A["Xp"],
        A["Xi"],
        A["Xd"],
        A["Tp"],
        A["Ti"],
        A["Td"],
        P.goal_bits,
        P.comp_bits,
        A["popcount"],
        el,
        ex_ptr,
        ex_idx,
        float(P.weights.goal_bonus),
        int(P.weights.goal_pair_cap),
        _EPS,
    )
    outs = (out_idx, out_cos, out_goal, out_sf)
    stats_lock = threading.Lock()

    def run(lo: int, hi: int) -> None:
        bufs = _nb_buffers(n, int(k))
        st = np.zeros(len(_NB_STATS), dtype=np.int64)
        kernel._nb_rows(lo, hi, *args, *bufs, *outs, st)
        with stats_lock:
            _NB_STATS[:] += st

    threads = min(get_num_threads(), -(-nq // _NB_CHUNK))
    if threads <= 1:
        run(0, nq)
    else:
        starts = iter(range(0, nq, _NB_CHUNK))
        lock = threading.Lock()

        def worker() -> None:
            while True:
                with lock:
                    lo = next(starts, None)
                if lo is None:
                    return
                run(lo, min(nq, lo + _NB_CHUNK))

        with ThreadPoolExecutor(max_workers=threads) as pool:
            for f in [pool.submit(worker) for _ in range(threads)]:
                f.result()
    return TopK(q, out_idx, score_points(out_sf), out_cos, out_goal, out_sf)
