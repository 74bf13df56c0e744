"""Offline evaluation of match quality at benchmark sizes: the tables of docs/matching.md.

Usage:
    python bench/evaluation.py [--people 20000 100000] [--variants shipped no-goal ...]
        [--k 10] [--seed 1] [--threads N]

For each size: a synthetic population with planted communities (matching/evaluation.py), the
exact top k of every variant through the engine, and the metrics: planted precision, reciprocal
success under the behaviour model, coverage, exposure (Gini, most-shown person) and goal fit.
Uses the engine's default weights as "shipped" (no Django settings). Times are wall-clock
seconds with the load average (1 minute) at the start and end of each size: the machine may be
shared, so compare times within one run only. `manage.py evaluate_matching` prints the same
tables for one size, with the configured weights.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from matching import engine  # noqa: E402
from matching import evaluation as ev  # noqa: E402


def load_note() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.1f}/{five:.1f}"


def run_size(n: int, args: argparse.Namespace) -> None:
    shipped = engine.EngineWeights()
    variants = [ev.variant_parse(name, shipped) for name in args.variants]
    print(f"\n=== {n:,} people, k={args.k}, seed {args.seed} ({load_note()} at the start) ===")
    started = time.perf_counter()
    run = ev.evaluate_synthetic(
        ev.PopulationSpec(n_people=n, seed=args.seed), variants, args.k, weights=shipped
    )
    total = time.perf_counter() - started
    for line in ev.population_describe(run.population):
        print(f"  {line}")
    print(f"  {run.behaviour.model.describe()}")
    t = run.timings
    lists = sum(r.ranking.seconds for r in run.reports)
    pools = max((r.ranking.pool_seconds for r in run.reports), default=0.0)
    print(
        f"engine {engine.BACKEND}, {engine.get_num_threads()} thread(s); population "
        f"{t['population']:.1f} s, matrix {t['matrix']:.1f} s, lists {lists:.1f} s (+ pools "
        f"{pools:.1f} s), metrics {t['metrics']:.1f} s; total {total:.1f} s ({load_note()} at "
        "the end)"
    )
    print()
    print("\n".join(ev.report_lines(run.reports, args.k)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, nargs="+", default=[20000, 100000])
    parser.add_argument("--variants", nargs="+", default=list(ev.DEFAULT_VARIANTS))
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threads", type=int, default=None, help="engine threads (all CPUs)")
    args = parser.parse_args()
    if min(args.people) < 2 or args.k < 1 or args.k >= min(args.people):
        parser.error("--people must be at least 2 and --k between 1 and people - 1")
    engine.set_num_threads(args.threads)
    for n in args.people:
        run_size(n, args)


if __name__ == "__main__":
    main()
