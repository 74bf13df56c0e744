"""Benchmark of matching/engine.py against sparse_dot_topn, a dense NumPy baseline and PostgreSQL.

Usage:
    python bench/matching.py --users 10000 100000 [--k 100] [--seed 1]
        [--skip-dense-above 20000] [--numpy-full-up-to 20000] [--workers 2] [--sample 200]
        [--split-repeats 2] [--full-up-to 200000] [--sample-rows 5000]

The engine's compiled (numba) kernel is measured with 1 thread, 2 threads and 2 worker processes
(1 thread each), each in a fresh child process; the numpy reference path of the same engine runs in
full only up to --numpy-full-up-to people and is otherwise compared on the sampled people. The
first child compiles the kernel into an empty NUMBA_CACHE_DIR (reported as "compile"); the others
load it from there ("first call"). Every child makes that first call on 2 rows before it starts
the clock, so full-run times never include compiling or loading the kernel; the time of that
warm-up call is printed next to them.

Sizes above --full-up-to (e.g. --users 1000000) are not run in full: the kernel computes the
first --sample-rows rows (people are random, so that is a random sample) in a fresh child, and
the full-run time is extrapolated; sparse_dot_topn runs on the same rows, and the approximate
mode's recall is measured against exact lists on --sample people.

The process split ("2 procs") runs the same rows as 1 process with 1 thread and, right after it,
as --workers spawned processes with 1 thread each, each taking an equal share of the rows; the
pair is repeated --split-repeats times and the best of each kind is kept, so that both sides see
the same load.

Needs numpy and scipy; sparse_dot_topn, psutil and psycopg (3) are optional (their rows print
"skipped" when missing). The PostgreSQL baseline runs only when DATABASE_URL starts with postgres.
Times are wall-clock seconds; "cpu" is process CPU time (all threads), which is steadier than wall
time on a shared machine. Peak memory is the peak RSS (ru_maxrss) of a fresh child process that
loads the input arrays, builds the matrix and computes every list, outputs included. The load
average is printed next to each figure: on a shared machine, compare only ratios measured in the
same run.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from matching import engine as E  # noqa: E402

N_TAGS = 2000
_COMPILED = []  # sizes whose first child compiled the kernel (later children load the cache)


def make_population(n_people, n_tags=N_TAGS, seed=1, min_tags=5, max_tags=30, zipf=0.6):
    """Synthetic people: 5..30 tags each drawn without replacement with Zipf(0.6) popularity."""
    rng = np.random.default_rng(seed)
    logp = np.log(np.arange(1, n_tags + 1, dtype=np.float64) ** -zipf)
    logp = (logp - np.log(np.exp(logp).sum())).astype(np.float32)
    lens = rng.integers(min_tags, max_tags + 1, size=n_people)
    rows, cols = [], []
    for s in range(0, n_people, 5000):
        e = min(n_people, s + 5000)
        # Gumbel top-k = weighted sampling without replacement
        keys = rng.gumbel(size=(e - s, n_tags)).astype(np.float32) + logp
        top = np.argpartition(-keys, max_tags, axis=1)[:, :max_tags]
        top = np.take_along_axis(top, np.argsort(-np.take_along_axis(keys, top, 1), axis=1), 1)
        keep = np.arange(max_tags)[None, :] < lens[s:e, None]
        rows.append(np.repeat(np.arange(s, e), lens[s:e]))
        cols.append(top[keep])
    rows = np.concatenate(rows).astype(np.int32)
    cols = np.concatenate(cols).astype(np.int32)
    tag_is_value = rng.random(n_tags) < 0.2
    n_goals = rng.integers(1, 4, size=n_people)
    goal_bits = np.zeros(n_people, dtype=np.uint16)
    for j in range(3):
        bit = rng.integers(0, len(E.GOALS), size=n_people)
        goal_bits |= np.where(j < n_goals, 1 << bit, 0).astype(np.uint16)
    return rows, cols, tag_is_value, goal_bits


def _load(path):
    d = np.load(path)
    return d["rows"], d["cols"], d["tag_is_value"], d["goal_bits"], int(d["n"])


def _build(path, goals=True):
    rows, cols, tiv, gb, n = _load(path)
    w = E.EngineWeights() if goals else E.EngineWeights(goal_bonus=0.0)
    return E.build_matrix(rows, cols, n, N_TAGS, tiv, gb, weights=w), n


def _child_full(path, k, goals, start, stop, queue, backend="numba", threads=1):
    """Child process: build, compute lists for rows [start, stop), report times and peak RSS."""
    E.BACKEND = backend
    E.set_num_threads(threads)
    t0 = time.perf_counter()
    P, n = _build(path, goals)
    t1 = time.perf_counter()
    E.top_k(P, np.arange(min(2, n)), k)  # first call: JIT compile or cache load
    t2 = time.perf_counter()
    c0 = time.process_time()
    res = E.top_k(P, np.arange(start, min(stop, n)), k)
    t3 = time.perf_counter()
    queue.put(
        {
            "build": t1 - t0,
            "first_call": t2 - t1,
            "wall": t3 - t2,
            "cpu": time.process_time() - c0,
            "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "filled": float((res.indices >= 0).mean()),
        }
    )


def run_children(path, k, goals, parts, n, backend="numba", threads=1):
    """Compute rows 0..n-1 split over `parts` fresh processes; returns their reports, wall."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    bounds = np.linspace(0, n, parts + 1).astype(int)
    t0 = time.perf_counter()
    procs = [
        ctx.Process(
            target=_child_full,
            args=(path, k, goals, bounds[i], bounds[i + 1], queue, backend, threads),
        )
        for i in range(parts)
    ]
    for p in procs:
        p.start()
    out = [queue.get() for _ in procs]
    for p in procs:
        p.join()
    return out, time.perf_counter() - t0


def process_split(path, k, n, workers, repeats):
    """1 process x 1 thread vs `workers` spawned processes x 1 thread on the same rows."""
    one_compute, one_total, split_compute, split_total = [], [], [], []
    for rep in range(max(1, repeats)):
        out, total = run_children(path, k, True, 1, n, "numba", 1)
        one_compute.append(out[0]["wall"])
        one_total.append(total)
        out, total = run_children(path, k, True, workers, n, "numba", 1)
        split_compute.append(max(o["wall"] for o in out))  # the slowest worker's share
        split_total.append(total)
        print(
            f"process split, round {rep + 1}: 1 process x 1 thread {one_compute[-1]:.2f}s "
            f"compute / {one_total[-1]:.2f}s end to end; {workers} processes x 1 thread: "
            f"slowest worker {split_compute[-1]:.2f}s compute / {split_total[-1]:.2f}s end to "
            f"end ({load_note()})",
            flush=True,
        )
    res = {
        "one": min(one_compute),
        "one_total": min(one_total),
        "split": min(split_compute),
        "split_total": min(split_total),
    }
    res["speedup"] = res["one"] / res["split"]
    res["speedup_total"] = res["one_total"] / res["split_total"]
    print(
        f"process split: speed-up of {workers} processes over 1 process {res['speedup']:.2f}x "
        f"on the computation ({res['one']:.2f}s -> {res['split']:.2f}s, best of {repeats}), "
        f"{res['speedup_total']:.2f}x end to end (spawn, imports, build and warm-up included: "
        f"{res['one_total']:.2f}s -> {res['split_total']:.2f}s)",
        flush=True,
    )
    return res


def sdt_full(P, k):
    try:
        from sparse_dot_topn import sp_matmul_topn
    except ImportError:
        return None
    X = P.X
    t0, c0 = time.perf_counter(), time.process_time()
    C = sp_matmul_topn(X, P.XT, top_n=k + 1, n_threads=2)  # includes self: ask k + 1
    return C.tocsr(), time.perf_counter() - t0, time.process_time() - c0


def dense_full(P, k, block=1000):
    Xd = P.X.toarray()
    n = Xd.shape[0]
    idx = np.empty((n, k), dtype=np.int64)
    val = np.empty((n, k), dtype=np.float32)
    t0, c0 = time.perf_counter(), time.process_time()
    for s in range(0, n, block):
        S = Xd[s : s + block] @ Xd.T
        S[np.arange(S.shape[0]), np.arange(s, s + S.shape[0])] = -1.0
        part = np.argpartition(-S, k, axis=1)[:, :k]
        idx[s : s + block] = part
        val[s : s + block] = np.take_along_axis(S, part, 1)
    return (idx, val), time.perf_counter() - t0, time.process_time() - c0


def postgres_baseline(P, n, k, sample_rows):
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        return "skipped (DATABASE_URL is not a postgres URL)"
    try:
        import psycopg
    except ImportError:
        return "skipped (psycopg 3 not importable)"
    X = P.X.tocoo()
    out = {}
    with psycopg.connect(url, autocommit=True) as conn:
        cur = conn.cursor()
        cur.execute("CREATE TEMP TABLE person_tag (person int, tag int, weight real)")
        with cur.copy("COPY person_tag (person, tag, weight) FROM STDIN") as copy:
            for r, c, v in zip(X.row.tolist(), X.col.tolist(), X.data.tolist(), strict=True):
                copy.write_row((r, c, v))
        cur.execute("CREATE INDEX ON person_tag (tag, person)")
        cur.execute("CREATE INDEX ON person_tag (person)")
        cur.execute("ANALYZE person_tag")
        single = """
            SELECT b.person, SUM(a.weight * b.weight) AS s
            FROM person_tag a JOIN person_tag b ON a.tag = b.tag AND b.person <> a.person
            WHERE a.person = %s GROUP BY b.person ORDER BY s DESC, b.person LIMIT %s"""
        times = []
        scores = {}
        for r in sample_rows[:50]:
            t0 = time.perf_counter()
            cur.execute(single, (int(r), k))
            rows = cur.fetchall()
            times.append(time.perf_counter() - t0)
            scores[int(r)] = np.array([s for _, s in rows], dtype=np.float64)
        out["single_median"] = statistics.median(times)
        out["single_scores"] = scores
        if n <= 20000:
            full = """
                SELECT p, q, s FROM (
                  SELECT p, q, s, row_number() OVER (PARTITION BY p ORDER BY s DESC, q) AS rn
                  FROM (SELECT a.person AS p, b.person AS q, SUM(a.weight * b.weight) AS s
                        FROM person_tag a JOIN person_tag b
                          ON a.tag = b.tag AND a.person <> b.person
                        GROUP BY a.person, b.person) pairs) ranked
                WHERE rn <= %s"""
            t0 = time.perf_counter()
            cur.execute(full, (k,))
            nrows = len(cur.fetchall())
            out["full"] = time.perf_counter() - t0
            out["full_rows"] = nrows
    return out


def agree(engine_scores, other_scores, tol=1e-5):
    """Compare sorted score multisets row by row (tolerant to ties); return share of rows equal."""
    ok = 0
    for a, b in zip(engine_scores, other_scores, strict=True):
        a, b = np.sort(a)[::-1], np.sort(b)[::-1]
        ok += len(a) == len(b) and bool(np.all(np.abs(a - b) <= tol))
    return ok / max(1, len(engine_scores))


def load_note():
    la = os.getloadavg()
    return f"load {la[0]:.1f}/{la[1]:.1f}"


def bench_size(n, args, tmp):
    k = args.k
    print(f"\n=== {n:,} people, {N_TAGS} tags, k={k} ===", flush=True)
    t0 = time.perf_counter()
    rows, cols, tiv, gb = make_population(n, seed=args.seed)
    df = np.bincount(cols, minlength=N_TAGS)
    print(
        f"population: {time.perf_counter() - t0:.1f}s, {len(rows):,} person-tags, "
        f"top tag held by {df.max() / n:.1%}, rarest by {df.min()} people",
        flush=True,
    )
    path = os.path.join(tmp, f"pop{n}.npz")
    np.savez(path, rows=rows, cols=cols, tag_is_value=tiv, goal_bits=gb, n=n)
    R = {"n": n}
    rng = np.random.default_rng(args.seed)
    sample = np.sort(rng.choice(n, size=min(args.sample, n), replace=False))

    # engine (numba kernel), full recompute in a fresh child each (peak RSS)
    configs = (
        ("numba_1t", True, 1),
        ("numba_2t", True, 2),
        ("numba_nogoal_2t", False, 2),
    )
    for key, goals, threads in configs:
        out, _ = run_children(path, k, goals, 1, n, "numba", threads)
        o = out[0]
        R[key] = o
        if "compile" not in R:
            R["compile"] = o["first_call"]
            R["compile_kind"] = "cache load" if _COMPILED else "compile"
            _COMPILED.append(n)
        print(
            f"{key}: build {o['build']:.2f}s, warm-up first call {o['first_call']:.2f}s "
            f"({R['compile_kind'] if key == configs[0][0] else 'cache load'}, excluded), full "
            f"top-{k} {o['wall']:.2f}s wall / {o['cpu']:.2f}s cpu, peak RSS {o['rss_mb']:.0f} MB "
            f"({load_note()})",
            flush=True,
        )
    if n <= args.numpy_full_up_to:
        out, _ = run_children(path, k, True, 1, n, "numpy", 1)
        R["numpy"] = out[0]
        print(
            f"numpy reference path: full top-{k} {out[0]['wall']:.1f}s wall / "
            f"{out[0]['cpu']:.1f}s cpu, peak RSS {out[0]['rss_mb']:.0f} MB ({load_note()})",
            flush=True,
        )
    else:
        R["numpy"] = None
    # the same rows split over worker processes (1 kernel thread each), against 1 process with
    # 1 thread measured right before, repeated: best of each
    if args.workers > 1:
        R["parallel"] = process_split(path, k, n, args.workers, args.split_repeats)

    P, _ = _build(path, True)
    Pn, _ = _build(path, False)
    # single-person update
    times = []
    for r in sample:
        t = time.perf_counter()
        E.top_k(P, np.array([r]), k)
        times.append(time.perf_counter() - t)
    R["single_ms"] = statistics.median(times) * 1e3
    R["single_p95_ms"] = float(np.percentile(times, 95)) * 1e3
    print(
        f"single-person update: median {R['single_ms']:.2f} ms, p95 {R['single_p95_ms']:.2f} ms",
        flush=True,
    )
    # numba kernel against the engine's numpy reference path on the sample: bit-identical?
    t = time.perf_counter()
    ref = E._top_k_numpy(P, sample, k, None, None)
    numpy_sample = time.perf_counter() - t
    nb = E.top_k(P, sample, k)
    R["identical"] = all(
        np.array_equal(getattr(nb, f), getattr(ref, f))
        for f in ("indices", "scores", "cosine", "goal", "score_float")
    )
    print(
        f"numba vs numpy reference path on {len(sample)} people: "
        f"{'bit-identical' if R['identical'] else 'DIFFERENT'} (numpy path took "
        f"{numpy_sample:.1f}s for them)",
        flush=True,
    )
    E._NB_STATS[:] = 0
    E.top_k(P, sample, k)
    st = E._NB_STATS / max(1, len(sample))
    bs = E._nb_block_size(n, k)
    print(
        f"kernel counters per row: {st[0]:,.0f} postings read, {st[1]:,.0f} of "
        f"{-(-n // bs):,} blocks of {bs} people read person by person, {st[2]:,.0f} exact "
        f"scores offered for the top {k}",
        flush=True,
    )
    ex = E.top_k(Pn, sample, k)
    eng_scores = [ex.cosine[i][ex.indices[i] >= 0].astype(np.float64) for i in range(len(sample))]

    # sparse_dot_topn
    res = sdt_full(Pn, k)
    if res is None:
        R["sdt"] = None
        print("sparse_dot_topn: skipped (not installed)")
    else:
        C, wall, cpu = res
        R["sdt"] = {"wall": wall, "cpu": cpu}
        other = []
        for r in sample:
            lo, hi = C.indptr[r], C.indptr[r + 1]
            cols_r, vals_r = C.indices[lo:hi], C.data[lo:hi]
            keep = cols_r != r
            vals_r = np.sort(vals_r[keep])[::-1][:k]
            other.append(vals_r.astype(np.float64))
        R["sdt"]["agree"] = agree(eng_scores, other)
        print(
            f"sparse_dot_topn (2 threads): {wall:.2f}s wall / {cpu:.2f}s cpu; "
            f"score agreement on {len(sample)} people: {R['sdt']['agree']:.1%} ({load_note()})",
            flush=True,
        )
        print(
            f"engine vs sparse_dot_topn, both on 2 threads: {wall:.2f}s / "
            f"{R['numba_2t']['wall']:.2f}s = {wall / R['numba_2t']['wall']:.1f}x with goals, "
            f"{wall / R['numba_nogoal_2t']['wall']:.1f}x plain cosine (the same task)",
            flush=True,
        )

    # dense NumPy baseline
    if n > args.skip_dense_above:
        R["dense"] = None
        print(
            f"dense NumPy baseline: skipped above {args.skip_dense_above:,} people "
            f"(O(n^2 * tags) = {2 * n * n * N_TAGS / 1e12:.0f} TFLOP and "
            f"{n * N_TAGS * 4 / 1e9:.1f} GB dense matrix; use --skip-dense-above)",
            flush=True,
        )
    else:
        (_idx, val), wall, cpu = dense_full(Pn, k)
        other = [np.sort(val[r][val[r] > 0]).astype(np.float64) for r in sample]
        R["dense"] = {"wall": wall, "cpu": cpu, "agree": agree(eng_scores, other)}
        print(
            f"dense NumPy baseline: {wall:.1f}s wall / {cpu:.1f}s cpu; agreement "
            f"{R['dense']['agree']:.1%}",
            flush=True,
        )

    # PostgreSQL
    pg = postgres_baseline(Pn, n, k, sample)
    if isinstance(pg, str):
        R["pg"] = None
        print(f"PostgreSQL self-join: {pg}")
    else:
        other = [pg["single_scores"][int(r)] for r in sample[:50]]
        pg["agree"] = agree(eng_scores[:50], other, tol=1e-4)
        R["pg"] = pg
        msg = f"PostgreSQL self-join: single person median {pg['single_median'] * 1e3:.0f} ms"
        if "full" in pg:
            msg += f", full recompute {pg['full']:.1f}s"
        print(msg + f"; agreement {pg['agree']:.1%} (float4 weights, tol 1e-4)", flush=True)
        e2 = R["numba_2t"]
        if "full" in pg:
            print(
                f"engine vs PostgreSQL, full recompute: {pg['full']:.1f}s / {e2['wall']:.2f}s = "
                f"{pg['full'] / e2['wall']:.0f}x (engine on 2 threads, kernel warmed by a first "
                f"call of {e2['first_call']:.2f}s that is excluded; with the matrix build "
                f"({e2['build']:.2f}s) and that call included: "
                f"{pg['full'] / (e2['wall'] + e2['build'] + e2['first_call']):.0f}x) "
                f"({load_note()})",
                flush=True,
            )
        print(
            f"engine vs PostgreSQL, one person: {pg['single_median'] * 1e3:.1f} ms / "
            f"{R['single_ms']:.2f} ms = {pg['single_median'] * 1e3 / R['single_ms']:.0f}x",
            flush=True,
        )

    # approximate mode recall against exact
    if n >= args.approx_from:
        q = sample if len(sample) >= 200 else np.arange(min(n, 200))
        exact = E.top_k(P, q, k)
        for m, cap, resc in ((8, 2000, 400), (30, 2000, 400), (30, 3000, 800)):
            C = E.build_candidate_index(P, rare_tags=m, posting_cap=cap, rescore=resc)
            c0 = time.process_time()
            ap = E.top_k(P, q, k, candidates=C)
            cpu = time.process_time() - c0
            hits = sum(
                len(
                    set(ap.indices[i][ap.indices[i] >= 0])
                    & set(exact.indices[i][exact.indices[i] >= 0])
                )
                for i in range(len(q))
            )
            rec = hits / max(1, int((exact.indices >= 0).sum()))
            R.setdefault("approx", []).append((m, cap, resc, rec, cpu / len(q) * n))
            print(
                f"approximate mode (rarest {m} tags, {cap} holders/tag, rescore {resc}): "
                f"recall@{k} {rec:.3f}; cpu extrapolated to all {n:,}: {cpu / len(q) * n:.0f}s",
                flush=True,
            )
    return R


def bench_sampled(n, args, tmp):
    """Above --full-up-to people: per-row costs on the first --sample-rows rows, extrapolated."""
    k, m = args.k, min(args.sample_rows, n)
    print(f"\n=== {n:,} people, {N_TAGS} tags, k={k}: {m:,} rows, extrapolated ===", flush=True)
    t0 = time.perf_counter()
    rows, cols, tiv, gb = make_population(n, seed=args.seed)
    df = np.bincount(cols, minlength=N_TAGS)
    print(
        f"population: {time.perf_counter() - t0:.1f}s, {len(rows):,} person-tags, "
        f"top tag held by {df.max() / n:.1%}, rarest by {df.min()} people",
        flush=True,
    )
    path = os.path.join(tmp, f"pop{n}.npz")
    np.savez(path, rows=rows, cols=cols, tag_is_value=tiv, goal_bits=gb, n=n)
    del rows, cols
    R = {"n": n, "sampled": m}
    # people are random, so the first m rows are a random sample of rows
    out, _ = run_children(path, k, True, 1, m, "numba", 1)
    o = R["numba_1t"] = out[0]
    print(
        f"numba 1 thread: build {o['build']:.2f}s, warm-up first call {o['first_call']:.2f}s "
        f"(excluded), {m:,} rows {o['wall']:.2f}s wall / {o['cpu']:.2f}s cpu = "
        f"{o['cpu'] / m * 1e3:.3f} ms cpu per row; all {n:,} rows extrapolated: "
        f"{o['cpu'] / m * n / 60:.1f} cpu-minutes; peak RSS {o['rss_mb']:.0f} MB "
        f"({load_note()})",
        flush=True,
    )
    P, _ = _build(path, True)
    sample = np.sort(np.random.default_rng(args.seed).choice(n, min(args.sample, n), False))
    times = []
    for r in sample:
        t = time.perf_counter()
        E.top_k(P, np.array([r]), k)
        times.append(time.perf_counter() - t)
    R["single_ms"] = statistics.median(times) * 1e3
    print(f"single-person update: median {R['single_ms']:.2f} ms", flush=True)
    Pn, _ = _build(path, False)
    try:
        from sparse_dot_topn import sp_matmul_topn
    except ImportError:
        sp_matmul_topn = None
    if sp_matmul_topn is not None:
        c0 = time.process_time()
        sp_matmul_topn(Pn.X[:m], Pn.XT, top_n=k + 1, n_threads=2)
        cpu = time.process_time() - c0
        print(
            f"sparse_dot_topn on the same {m:,} rows: {cpu / m * 1e3:.3f} ms cpu per row "
            f"({cpu / o['cpu']:.1f}x the engine's cpu)",
            flush=True,
        )
    del Pn
    exact = E.top_k(P, sample, k)
    for mt, cap, resc in ((30, 2000, 400), (30, 3000, 800)):
        C = E.build_candidate_index(P, rare_tags=mt, posting_cap=cap, rescore=resc)
        c0 = time.process_time()
        ap = E.top_k(P, sample, k, candidates=C)
        cpu = time.process_time() - c0
        hits = sum(
            len(
                set(ap.indices[i][ap.indices[i] >= 0])
                & set(exact.indices[i][exact.indices[i] >= 0])
            )
            for i in range(len(sample))
        )
        rec = hits / max(1, int((exact.indices >= 0).sum()))
        print(
            f"approximate mode (rarest {mt} tags, {cap} holders/tag, rescore {resc}): "
            f"recall@{k} {rec:.3f} on {len(sample)} people; {cpu / len(sample) * 1e3:.1f} ms cpu "
            f"per row (numpy path)",
            flush=True,
        )
    return R


def _fmt(value, spec, missing="-"):
    return missing if value is None else format(value, spec)


def table(results, k):
    print(f"\n=== summary, k={k} (seconds; cpu = process CPU time, all threads) ===")
    cols = (
        "people",
        "compile",
        "numba 1t wall/cpu",
        "numba 2t wall/cpu",
        "no-goal 2t",
        "2 procs",
        "peak RSS",
        "1-person",
        "sdt 2t wall/cpu",
        "sdt/numba 2t wall",
        "numpy path wall/cpu",
        "dense",
        "pg full / 1p",
        "pg/numba 2t",
    )
    rows = []
    for R in results:
        e1, e2, en = R["numba_1t"], R["numba_2t"], R["numba_nogoal_2t"]
        par, sdt, dense, pg = R.get("parallel"), R.get("sdt"), R.get("dense"), R.get("pg")
        npy = R.get("numpy")
        sdt_txt = f"{sdt['wall']:.2f}/{sdt['cpu']:.2f}" if sdt else "skipped"
        ratio = f"{sdt['wall'] / e2['wall']:.1f}x" if sdt else "-"
        if pg:
            pg_txt = f"{_fmt(pg.get('full'), '.1f')} / {pg['single_median'] * 1e3:.0f}ms"
            pg_ratio = f"{pg['full'] / e2['wall']:.0f}x" if pg.get("full") else "-"
        else:
            pg_txt, pg_ratio = "skipped", "-"
        rows.append(
            (
                f"{R['n']:,}",
                f"{R['compile']:.1f}s" + ("" if R["compile_kind"] == "compile" else " (cached)"),
                f"{e1['wall']:.2f}/{e1['cpu']:.2f}",
                f"{e2['wall']:.2f}/{e2['cpu']:.2f}",
                f"{en['wall']:.2f}/{en['cpu']:.2f}",
                f"{par['split']:.2f} ({par['speedup']:.2f}x)" if par else "-",
                f"{max(e1['rss_mb'], e2['rss_mb']):.0f} MB",
                f"{R['single_ms']:.2f} ms",
                sdt_txt,
                ratio,
                f"{npy['wall']:.1f}/{npy['cpu']:.1f}" if npy else "skipped",
                _fmt(dense["wall"] if dense else None, ".1f", "skipped"),
                pg_txt,
                pg_ratio,
            )
        )
    widths = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(cols)]
    print(" | ".join(c.rjust(w) for c, w in zip(cols, widths, strict=True)))
    print("-+-".join("-" * w for w in widths))
    for r in rows:
        print(" | ".join(v.rjust(w) for v, w in zip(r, widths, strict=True)))
    print(
        "compile: first top_k call of the size's first child; the first size compiles into an "
        "empty NUMBA_CACHE_DIR, later sizes load that cache (cached); every full-run time "
        "excludes that warm-up call. sdt/numba 2t wall: sparse_dot_topn wall time / numba "
        "kernel wall time, both on 2 threads; above 1 means the engine is faster. 2 procs: the "
        "slowest of the worker processes (1 thread each) and its speed-up over 1 process with "
        "1 thread on the same rows. pg/numba 2t: PostgreSQL full recompute / engine on 2 "
        f"threads. Load average at the end: {load_note()}."
    )
    for R in results:
        print(
            f"{R['n']:,}: numba == numpy reference path on the sample: {R['identical']}; "
            f"agreement with sdt {_fmt((R.get('sdt') or {}).get('agree'), '.1%')}, dense "
            f"{_fmt((R.get('dense') or {}).get('agree'), '.1%')}"
        )
    for R in results:
        for m, cap, resc, rec, cpu in R.get("approx", []):
            print(
                f"approx @ {R['n']:,}: rarest {m} tags, {cap} holders/tag, rescore {resc}: "
                f"recall@{k} {rec:.3f}, cpu extrapolated {cpu:.0f}s "
                f"(exact numba, 1 thread: {R['numba_1t']['cpu']:.0f}s)"
            )


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--users", type=int, nargs="+", default=[10000, 100000])
    ap.add_argument("--k", type=int, default=100)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--skip-dense-above", type=int, default=20000)
    ap.add_argument("--numpy-full-up-to", type=int, default=20000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--sample", type=int, default=200)
    ap.add_argument("--approx-from", type=int, default=100000, help="measure approx mode from n")
    ap.add_argument("--split-repeats", type=int, default=2, help="rounds of the process split")
    ap.add_argument(
        "--full-up-to",
        type=int,
        default=200000,
        help="above this many people, time --sample-rows rows and extrapolate",
    )
    ap.add_argument("--sample-rows", type=int, default=5000)
    args = ap.parse_args(argv)
    print(
        f"python {sys.version.split()[0]}, numpy {np.__version__}, scipy "
        f"{__import__('scipy').__version__}, {os.cpu_count()} CPUs, {load_note()}"
    )
    versions = []
    for mod in ("numba", "llvmlite", "sparse_dot_topn"):
        try:
            versions.append(f"{mod} {__import__(mod).__version__}")
        except ImportError:
            versions.append(f"{mod} not installed")
    print(", ".join(versions))
    with tempfile.TemporaryDirectory() as tmp:
        # children compile the kernel into an empty cache: the first call measures compile time
        os.environ["NUMBA_CACHE_DIR"] = os.path.join(tmp, "numba_cache")
        results = [
            bench_size(n, args, tmp) if n <= args.full_up_to else bench_sampled(n, args, tmp)
            for n in args.users
        ]
    full = [R for R in results if "sampled" not in R]
    if full:
        table(full, args.k)


if __name__ == "__main__":
    main()
