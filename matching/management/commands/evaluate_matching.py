"""Operators: measure match quality offline, on a synthetic population or the stored one.

The metrics and the synthetic population live in matching/evaluation.py (pure, no ORM); see
docs/matching.md, "Evaluating match quality".
"""

import os
import time

import numpy as np
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from matching import engine, evaluation, selectors, services


def _as_rows(user_ids, pairs):
    """Map (user id, user id) pairs to population rows; drop pairs with someone not in it."""
    ids = np.array(pairs, dtype=np.int64).reshape(-1, 2)
    pos = np.searchsorted(user_ids, ids)
    known = (pos < len(user_ids)) & (user_ids[np.minimum(pos, len(user_ids) - 1)] == ids)
    keep = known.all(axis=1)
    return pos[keep], keep


class Command(BaseCommand):
    help = (
        "Evaluate match quality offline: planted precision, reciprocal success, coverage, "
        "exposure and goal fit for the shipped scoring and alternatives, on a synthetic "
        "population with planted communities (default) or on the stored one (--from-db)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--people", help="Synthetic population size (default 20000).", default=None
        )
        parser.add_argument(
            "--communities",
            help=f"Planted communities (default: one per {evaluation.COMMUNITY_SIZE} people).",
        )
        parser.add_argument("--seed", default="1", help="Random seed (default 1).")
        parser.add_argument(
            "--variants",
            nargs="+",
            default=list(evaluation.DEFAULT_VARIANTS),
            metavar="NAME",
            help=f"Scoring variants to compare: {evaluation.VARIANT_HELP}. Default: "
            f"{' '.join(evaluation.DEFAULT_VARIANTS)}.",
        )
        parser.add_argument("--k", default="10", help="List length evaluated (default 10).")
        parser.add_argument(
            "--behaviour",
            nargs="+",
            default=[],
            metavar="NAME=VALUE",
            help="Change the behaviour model, e.g. goal=0.6 per_rare_tag=0.8 (see the docs).",
        )
        parser.add_argument(
            "--from-db",
            action="store_true",
            help="Evaluate the stored population and its logged intros, passes and saves.",
        )

    def handle(self, *args, **options):
        k = self._whole(options["k"], "--k")
        seed = self._whole(options["seed"], "--seed", minimum=0)
        shipped = services.engine_weights()
        try:
            variants = [evaluation.variant_parse(name, shipped) for name in options["variants"]]
        except ValueError as error:
            raise CommandError(str(error)) from error
        names = [v.name for v in variants]
        if len(set(names)) != len(names):
            raise CommandError("--variants: each variant may be named only once")
        if options["from_db"]:
            if options["people"] is not None or options["communities"] is not None:
                raise CommandError(
                    "--people and --communities describe a synthetic population; "
                    "--from-db evaluates the stored one"
                )
            self._from_db(variants, k)
            return
        people = self._whole(options["people"] or "20000", "--people")
        communities = None
        if options["communities"] is not None:
            communities = self._whole(options["communities"], "--communities")
            if communities > people:
                raise CommandError(
                    f"--communities {communities} is more than the {people:,} people"
                )
        if k >= people:
            raise CommandError(
                f"--k {k} is too large for {people:,} people: a list holds at most everyone "
                f"else ({people - 1:,})"
            )
        try:
            model = evaluation.behaviour_model_with(self._pairs(options["behaviour"]))
        except ValueError as error:
            raise CommandError(str(error)) from error
        self._synthetic(
            evaluation.PopulationSpec(n_people=people, n_communities=communities, seed=seed),
            variants,
            k,
            shipped,
            model,
        )

    # --- input ---

    @staticmethod
    def _whole(text, option, minimum=1):
        try:
            value = int(str(text))
        except ValueError:
            raise CommandError(f"{option} must be a whole number (got {text!r})") from None
        if value < minimum:
            raise CommandError(f"{option} must be at least {minimum} (got {value})")
        return value

    @staticmethod
    def _pairs(items):
        pairs = {}
        for item in items:
            name, sep, value = item.partition("=")
            if not sep or not name:
                raise CommandError(f"--behaviour takes NAME=VALUE pairs (got {item!r})")
            pairs[name.strip()] = value.strip()
        return pairs

    # --- output ---

    def _say(self, lines=()):
        for line in lines:
            self.stdout.write(line)

    def _engine_line(self, k, shipped):
        threads = engine.get_num_threads() if engine.BACKEND == "numba" else 1
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        return (
            f"Ranking: the engine's exact top {k} ({engine.BACKEND}, {threads} thread(s), load "
            f"{load:.1f}); shipped weights: interest {shipped.interest_weight:g}, value "
            f"{shipped.value_weight:g}, goal bonus {shipped.goal_bonus:g}, goal pair cap "
            f"{shipped.goal_pair_cap}"
        )

    def _synthetic(self, spec, variants, k, shipped, model):
        run = evaluation.evaluate_synthetic(spec, variants, k, weights=shipped, model=model)
        t = run.timings
        self._say(
            [
                "Synthetic population",
                *(f"  {line}" for line in evaluation.population_describe(run.population)),
                f"  {model.describe()}",
                self._engine_line(k, shipped),
                f"Timings: population {t['population']:.1f} s, matrix {t['matrix']:.1f} s, "
                f"metrics {t['metrics']:.1f} s; each variant's lists in the table",
                "",
                *evaluation.report_lines(run.reports, k),
            ]
        )

    def _from_db(self, variants, k):
        started = time.perf_counter()
        try:
            population = services.population_load()
        except DatabaseError as error:
            raise CommandError(
                f"Could not read the people from the database ({error}); is it migrated?"
            ) from error
        n = len(population.user_ids)
        if n == 0:
            self.stdout.write(
                "Nothing to evaluate: the database has no active, onboarded people yet."
            )
            return
        if n <= k:
            who = "person" if n == 1 else "people"
            self.stdout.write(
                f"Nothing to evaluate: only {n} active, onboarded {who}, and a top {k} needs at "
                f"least {k + 1}. Try a smaller --k or add people."
            )
            return
        if not population.eligible.any():
            self.stdout.write(
                "Nothing to evaluate: nobody is discoverable, so no one is suggested."
            )
            return
        outcomes = selectors.logged_outcomes()
        blocks, _ = _as_rows(population.user_ids, outcomes.blocks)
        exclude = engine.exclusion_matrix(blocks, n, symmetric=True) if len(blocks) else None
        load_seconds = time.perf_counter() - started
        rankings = evaluation.rank(
            population.prepared, variants, k, eligible=population.eligible, exclude=exclude
        )
        reports = evaluation.evaluate(
            rankings, goal_bits=population.prepared.goal_bits, eligible=population.eligible
        )
        self._say(
            [
                "Stored population",
                *(
                    f"  {line}"
                    for line in evaluation.stored_describe(population.prepared, population.eligible)
                ),
                self._engine_line(k, population.prepared.weights),
                f"Loading: {load_seconds:.1f} s. Blocks are excluded both ways; passes are not, "
                "so that the table below can count them.",
                "",
                *evaluation.report_lines(reports, k),
                "",
                "Planted precision and reciprocal success need a planted truth and a behaviour "
                "model, so they are '-' here; what people did is below.",
                "",
            ]
        )
        self._logged(reports, outcomes, population.user_ids, k)

    def _logged(self, reports, outcomes, user_ids, k):
        answered_intros = [
            (a, b, status) for a, b, status in outcomes.intros if status in ("accepted", "declined")
        ]
        answered, keep = _as_rows(user_ids, [(a, b) for a, b, _ in answered_intros])
        accepted_flags = np.array([s == "accepted" for *_, s in answered_intros], dtype=bool)[keep]
        pending = sum(1 for *_, status in outcomes.intros if status == "pending")
        passes, _ = _as_rows(user_ids, outcomes.passes)
        saves, _ = _as_rows(user_ids, outcomes.saves)
        if not len(answered) and not len(passes) and not len(saves):
            self._say(
                [
                    "Logged outcomes: none yet (no answered intros, passes or saves among these "
                    f"people; {pending:,} intro(s) waiting for an answer), so there is nothing "
                    "to compare the rankings with."
                ]
            )
            return

        logged = evaluation.LoggedPairs(
            intro_sender=answered[:, 0],
            intro_recipient=answered[:, 1],
            intro_accepted=accepted_flags,
            pass_user=passes[:, 0],
            pass_other=passes[:, 1],
            save_user=saves[:, 0],
            save_other=saves[:, 1],
        )
        accepted = int(logged.intro_accepted.sum())
        self._say(
            [
                f"Logged outcomes: {len(answered):,} answered intros ({accepted:,} accepted, "
                f"{len(answered) - accepted:,} declined), {pending:,} waiting; {len(passes):,} "
                f"passes; {len(saves):,} saves. Rates need at least {evaluation.MIN_FOR_RATE} "
                "answered intros.",
                "Impressions are not logged yet, so these use today's lists, not what each "
                "person saw when they acted (which came from the shipped scoring).",
                "",
                *evaluation.logged_lines(reports, logged, k),
            ]
        )
