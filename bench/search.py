"""People search at scale: latency of /search/ for typical queries, end to end, on PostgreSQL.

Usage:
    python bench/search.py [--users 100000] [--db intch_search_bench] [--reuse-db] [--keep-db]
        [--rounds 40] [--pg postgres://postgres@127.0.0.1:5432]
        [--redis-url redis://127.0.0.1:6379/7] [--json FILE]

What it does:
1. creates a scratch PostgreSQL database (dropped at the end unless --keep-db), migrates it and
   seeds N demo people (`seed_demo`, which writes their search documents), computes the demo
   person's matches (`recompute_matches --user`, so results can be ordered by match score)
   and runs VACUUM ANALYZE; --reuse-db takes an existing database as it is;
2. in this process, with the production settings (DEBUG off, Redis as the cache for sessions
   and the header's counts), logs the demo person in with Django's test client and asks
   /search/ for typical queries taken from the data: a first name, a full name, a company, a
   city, a popular, a median and a rare interest, a value, a headline word, word prefixes,
   two words at once, a page further on, an htmx request, and a query that finds nobody;
3. after one warm-up request per query, times --rounds requests of each (the whole view:
   middleware, the query, rendering) and prints p50 and p95 per query and over all of them,
   with the number of people found and the load average before and after. The page without
   a query is the baseline: everything but the search itself.

Needs PostgreSQL at --pg and Redis at --redis-url.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path[:0] = [str(ROOT), str(BENCH)]

from _common import (  # noqa: E402
    count_people,
    database_exists,
    log,
    manage,
    percentile,
    sql,
)

DEMO_EMAIL = "demo@intch.local"
FOUND = re.compile(r"([\d,]+\+?) (?:person|people) for")
SETTINGS = """
from intch.settings.production import *  # noqa: F403

# Static files are not served here: plain storage, no collected manifest needed.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
"""


def environment(workdir, *, database_url, redis_url):
    (workdir / "intch_search_bench_settings.py").write_text(SETTINGS)
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(workdir), str(ROOT)]),
        "DJANGO_SETTINGS_MODULE": "intch_search_bench_settings",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "testserver,127.0.0.1",
        "SECURE_SSL_REDIRECT": "False",
        "DEBUG": "False",
        "LOG_LEVEL": "WARNING",
        "CONN_MAX_AGE": "60",
    }


def prepare(env, pg_url, database, users):
    seconds = {}
    sql(pg_url, f"DROP DATABASE IF EXISTS {database}")
    sql(pg_url, f"CREATE DATABASE {database}")
    manage(env, "migrate", "--noinput", "-v", "0")
    log(f"Seeding {users:,} demo people (search documents included)…")
    seconds["seed_demo"] = round(manage(env, "seed_demo", "--users", str(users)), 1)
    demo_id = sql(
        pg_url, "SELECT id FROM auth_user WHERE email = %s", [DEMO_EMAIL], database, fetch=True
    )[0][0]
    log("Computing the demo person's matches…")
    seconds["recompute_demo"] = round(manage(env, "recompute_matches", "--user", str(demo_id)), 1)
    sql(pg_url, "VACUUM ANALYZE", database=database)
    return seconds


def typical_queries(seed):
    """Queries a person would type, taken from the seeded data (runs inside Django)."""
    from django.db.models import Count

    from profiles.models import Profile, Tag

    pick = random.Random(seed)
    people = list(
        Profile.objects.filter(discoverable=True, onboarded_at__isnull=False)
        .exclude(company="")
        .order_by("?")
        .values_list("display_name", "company", "city")[:50]
    )
    name, company, city = pick.choice(people)
    interests = list(
        Tag.objects.filter(kind=Tag.Kind.INTEREST, status=Tag.Status.APPROVED)
        .annotate(people=Count("interest_items"))
        .order_by("-people")
        .values_list("name", flat=True)
    )
    values = list(
        Tag.objects.filter(kind=Tag.Kind.VALUE, status=Tag.Status.APPROVED)
        .annotate(people=Count("value_items"))
        .order_by("-people")
        .values_list("name", flat=True)
    )
    first = name.split()[0]
    return {
        "no query (the page alone)": {"q": ""},
        "first name": {"q": first},
        "full name": {"q": name},
        "name prefix": {"q": first[:3]},
        "company": {"q": company.split(",")[0]},
        "city": {"q": city},
        "popular interest": {"q": interests[0]},
        "median interest": {"q": interests[len(interests) // 2]},
        "rare interest": {"q": interests[-1]},
        "value": {"q": values[len(values) // 2]},
        "headline word": {"q": "engineer"},
        "word prefixes": {"q": "prod des"},
        "interest and city": {"q": f"{interests[5]} {city}"},
        "page 3 of a broad query": {"q": "manager", "page": "3"},
        "htmx, as you type": {"q": interests[10][:5], "htmx": True},
        "nobody": {"q": "zzqxj vvkp"},
    }


def measure(rounds, seed):
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client()
    client.force_login(get_user_model().objects.get(email=DEMO_EMAIL))
    queries = typical_queries(seed)
    results, everything = {}, []
    for label, params in queries.items():
        searches = bool(params["q"])
        params = dict(params)
        headers = {}
        if params.pop("htmx", False):
            headers = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "search-results"}
        response = client.get("/search/", params, **headers)  # warm-up
        assert response.status_code == 200, (label, response.status_code)
        count = FOUND.search(response.content.decode())
        found = count.group(1) if count else "0"  # "1000+" when the count stopped there
        timings = []
        for _ in range(rounds):
            started = time.perf_counter()
            response = client.get("/search/", params, **headers)
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
        timings.sort()
        if searches:
            everything += timings
        results[label] = {
            "query": params["q"],
            "found": found,
            "p50_ms": round(statistics.median(timings), 1),
            "p95_ms": round(percentile(timings, 0.95), 1),
        }
        log(f"  {label}: {results[label]}")
    everything.sort()
    overall = {
        "p50_ms": round(statistics.median(everything), 1),
        "p95_ms": round(percentile(everything, 0.95), 1),
        "requests": len(everything),
    }
    return results, overall


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=40, help="timed requests per query")
    parser.add_argument("--seed", type=int, default=7, help="which typical queries")
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--db", default="intch_search_bench")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/7")
    parser.add_argument("--reuse-db", action="store_true", help="use --db as it is")
    parser.add_argument("--keep-db", action="store_true", help="do not drop the database")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    if args.db in ("intch", "intch_page", "intch_load", "intch_test"):
        parser.error(f"--db {args.db} belongs to someone else; use a database of your own")

    workdir = Path(tempfile.mkdtemp(prefix="intch-search-bench-"))
    env = environment(workdir, database_url=f"{args.pg}/{args.db}", redis_url=args.redis_url)
    seconds = {}
    if args.reuse_db:
        if not database_exists(args.pg, args.db):
            parser.error(f"--reuse-db: there is no database {args.db}")
    else:
        seconds = prepare(env, args.pg, args.db, args.users)
    people = count_people(args.pg, args.db)
    load_before = os.getloadavg()
    log(f"{people:,} people; load average {load_before[0]:.2f}. Timing {args.rounds} rounds…")
    os.environ.update(env)
    sys.path.insert(0, str(workdir))
    try:
        results, overall = measure(args.rounds, args.seed)
    finally:
        if not args.keep_db and not args.reuse_db:
            from django.db import connections

            connections.close_all()
            sql(args.pg, f"DROP DATABASE IF EXISTS {args.db}")
    load_after = os.getloadavg()

    width = max(len(label) for label in results)
    print(f"\nPeople search, {people:,} people (PostgreSQL full-text), {args.rounds} rounds")
    print(f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f}")
    print(f"{'query':<{width}}  {'found':>7}  {'p50 ms':>7}  {'p95 ms':>7}  typed")
    for label, row in results.items():
        print(
            f"{label:<{width}}  {row['found']:>7}  {row['p50_ms']:>7}  {row['p95_ms']:>7}"
            f"  {row['query']!r}"
        )
    print(f"{'all searches':<{width}}  {'':>7}  {overall['p50_ms']:>7}  {overall['p95_ms']:>7}")
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "people": people,
                    "seconds": seconds,
                    "load": [load_before[0], load_after[0]],
                    "queries": results,
                    "overall": overall,
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
