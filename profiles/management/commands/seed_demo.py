"""Fill the database with believable demo people, fast, for trying intch out and for benchmarks.

Rows are written directly with bulk_create, in batches, without the per-profile services:
those queue a match recompute per person, and `recompute_matches` does that once afterwards.
Each batch's search documents are written in bulk (services.profile_search_refresh).

Interests follow a skewed popularity: approved interest tags get a seeded random rank and a
weight of 1 / (rank + 4)^0.9, so a few tags are very common (the top one is held by about a
third of the people) and most are rare (the median tag by about 1.5%); without the offset the
top tag would be on two thirds of all profiles. Each person also has one or two "home"
categories (their line of work, maybe a pastime) whose tags are favoured, so people cluster
the way real communities do. Everything is drawn from --seed: the same seed on an empty
database gives the same people. 100,000 people take about 100 s on PostgreSQL.
"""

import json
import math
import random
import time
from datetime import timedelta
from pathlib import Path

import numpy as np
from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from faker import Faker

from accounts.models import User
from profiles import services
from profiles.goals import GOAL_COUNT_WEIGHTS, GOAL_WEIGHTS, GOALS, goals_to_bits
from profiles.models import Profile, Tag, TaggedInterest, TaggedValue

DEMO_DOMAIN = "demo.intch.local"
DEMO_LOGIN_EMAIL = "demo@intch.local"
BATCH_SIZE = 2000
INTEREST_RANGE = (5, 30)
VALUE_RANGE = (1, 6)
POPULARITY_EXPONENT = 0.9
POPULARITY_OFFSET = 4
VALUE_POPULARITY_EXPONENT = 0.7
HOME_CATEGORY_BOOST = 6.0
DISCOVERABLE_SHARE = 0.93
OPEN_TO_MEET_SHARE = 0.85
BIO_SHARE = 0.85

FREELANCE_SHARE = 0.1


def _demo_data():
    """The demo people's raw material (profiles/data/demo_people.json)."""
    path = Path(__file__).resolve().parents[2] / "data" / "demo_people.json"
    return json.loads(path.read_text(encoding="utf-8"))


_DATA = _demo_data()
# (Faker locale, country, cities, weight)
PLACES = tuple(
    (place["locale"], place["country"], tuple(place["cities"]), place["weight"])
    for place in _DATA["places"]
)
# Category slug of the shipped taxonomy -> (industry, job titles, how common)
CAREERS = {
    slug: (career["industry"], tuple(career["titles"]), career["weight"])
    for slug, career in _DATA["careers"].items()
}
GENERIC_TITLES = tuple(_DATA["generic_titles"])
# Tag names that stay capitalised mid-sentence in a bio.
PROPER_NOUNS = set(_DATA["proper_nouns"])
COMPANY_SUFFIXES = tuple(_DATA["company_suffixes"])
# Goal -> a sentence for the bio (how common each goal is: profiles.goals.GOAL_WEIGHTS).
GOAL_SENTENCES = _DATA["goal_sentences"]
BIO_OPENINGS = tuple(_DATA["bio_openings"])
FREELANCE_BIO_OPENINGS = tuple(_DATA["freelance_bio_openings"])
BIO_MIDDLES = tuple(_DATA["bio_middles"])


class Command(BaseCommand):
    help = "Create N believable demo people (users, verified emails, profiles, interests, values)."

    def add_arguments(self, parser):
        parser.add_argument("--users", type=int, default=300, help="How many people to add.")
        parser.add_argument("--seed", type=int, default=1, help="Same seed, same people.")
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing if demo people already exist."
        )
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)

    def handle(self, *args, users, seed, if_empty, batch_size, **options):
        if users < 0 or batch_size < 1:
            raise CommandError("--users must be 0 or more and --batch-size at least 1.")
        started = time.monotonic()
        existing = demo_people().count()
        if if_empty and existing:
            self.stdout.write(f"{existing:,} demo people already exist: nothing to do.")
            if not User.objects.filter(email=DEMO_LOGIN_EMAIL).exists():
                demo_login_ensure(pools=self._tag_pools(), seed=seed, stdout=self.stdout)
        else:
            pools = self._tag_pools()
            seeder = Seeder(pools=pools, seed=seed, start=_next_demo_number())
            made = {"people": 0, "interests": 0, "values": 0}
            for offset in range(0, users, batch_size):
                counts = seeder.create_batch(size=min(batch_size, users - offset))
                for key, count in counts.items():
                    made[key] += count
                if users > batch_size:
                    self.stdout.write(f"  {offset + counts['people']:,} / {users:,} people")
            seconds = time.monotonic() - started
            self.stdout.write(
                f"Created {made['people']:,} demo people with {made['interests']:,} interests "
                f"and {made['values']:,} values in {seconds:.1f} s."
            )
            demo_login_ensure(pools=pools, seed=seed, stdout=self.stdout)
        self.stdout.write(
            f"Log in as {DEMO_LOGIN_EMAIL} with password {settings.INTCH_DEMO_PASSWORD}"
        )

    def _tag_pools(self):
        pools = TagPools.load()
        if not pools.interests or not pools.values:
            created = services.taxonomy_load_default()
            self.stdout.write(
                "No approved tags yet: loaded the default taxonomy first "
                f"({created['tags']} tags, {created['categories']} categories, "
                f"{created['aliases']} aliases)."
            )
            pools = TagPools.load()
        if len(pools.interests) < INTEREST_RANGE[0] or not pools.values:
            raise CommandError(
                f"Demo people need at least {INTEREST_RANGE[0]} approved interests and one "
                "approved value; approve some tags in the admin first."
            )
        return pools


def demo_people():
    """Users made by seed_demo (not the demo login itself)."""
    return User.objects.filter(email__endswith="@" + DEMO_DOMAIN)


def _next_demo_number():
    numbers = [
        int(email.split("@")[0].removeprefix("demo-"))
        for email in demo_people().values_list("email", flat=True).iterator()
        if email.split("@")[0].removeprefix("demo-").isdigit()
    ]
    return max(numbers, default=0) + 1


class TagPools:
    """Approved interest and value tags, in a stable order, with their categories."""

    def __init__(self, interests, values, categories):
        self.interests = interests  # [(tag_id, name, category_slug or "")]
        self.values = values
        self.categories = categories  # slugs of categories that hold interests

    @classmethod
    def load(cls):
        approved = Tag.objects.filter(status=Tag.Status.APPROVED).order_by("normalized_name")
        rows = approved.values_list("pk", "name", "category__slug", "kind")
        interests = [(pk, name, slug or "") for pk, name, slug, kind in rows if kind == "interest"]
        values = [(pk, name, slug or "") for pk, name, slug, kind in rows if kind == "value"]
        categories = sorted({slug for _, _, slug in interests if slug})
        return cls(interests, values, categories)


def _zipf_log_weights(rng, count, exponent):
    """Log-weights 1/(rank + offset)^exponent, the ranks given to tags by a seeded permutation."""
    ranks = rng.permutation(count) + 1
    return -exponent * np.log(ranks + POPULARITY_OFFSET)


def _popularity(*, pools, seed):
    """Log-weights of interests and values; they depend on the seed only, so every run with
    that seed (and the demo login) agrees on which tags are popular."""
    rng = np.random.default_rng([seed, 0])
    return (
        _zipf_log_weights(rng, len(pools.interests), POPULARITY_EXPONENT),
        _zipf_log_weights(rng, len(pools.values), VALUE_POPULARITY_EXPONENT),
    )


def _sample_without_replacement(rng, log_weights, counts):
    """For each row, `counts[row]` distinct columns drawn proportionally to exp(log_weights).

    Gumbel top-k: adding Gumbel noise to log-weights and keeping the k largest is the same
    as drawing k items one by one without replacement, for a whole batch at once.
    """
    keys = log_weights + rng.gumbel(size=log_weights.shape)
    largest = int(counts.max())
    top = np.argpartition(-keys, largest - 1, axis=1)[:, :largest]
    order = np.argsort(-np.take_along_axis(keys, top, axis=1), axis=1)
    top = np.take_along_axis(top, order, axis=1)
    return [top[row, : counts[row]] for row in range(len(counts))]


class Seeder:
    """Makes batches of demo people; all randomness comes from one seed."""

    def __init__(self, *, pools, seed, start):
        self.pools = pools
        self.number = start
        self.rng = np.random.default_rng([seed, start])
        # Demo data, not security: a seeded generator so a seed always gives the same people.
        self.text_random = random.Random(f"{seed}-{start}")  # nosec B311
        self.fakers = []
        for index, (locale, *_rest) in enumerate(PLACES):
            faker = Faker(locale)
            faker.seed_instance(seed * 1_000_003 + start * 31 + index)
            self.fakers.append(faker)
        weights = np.array([place[3] for place in PLACES], dtype=float)
        self.place_weights = weights / weights.sum()
        self.password = make_password(settings.INTCH_DEMO_PASSWORD)
        self.now = timezone.now()

        self.interest_ids = np.array([pk for pk, _, _ in pools.interests])
        self.interest_names = [name for _, name, _ in pools.interests]
        self.value_ids = np.array([pk for pk, _, _ in pools.values])
        self.value_names = [name for _, name, _ in pools.values]
        self.interest_log_weights, self.value_log_weights = _popularity(pools=pools, seed=seed)
        category_index = {slug: index for index, slug in enumerate(pools.categories)}
        self.tag_category = np.array(
            [category_index.get(slug, -1) for _, _, slug in pools.interests]
        )
        careers = [slug for slug in pools.categories if slug in CAREERS] or pools.categories
        self.careers = careers or [""]
        # -3 matches no tag: a career outside the taxonomy favours nothing.
        self.career_category = np.array([category_index.get(slug, -3) for slug in self.careers])
        career_weights = np.array(
            [CAREERS.get(slug, ("", (), 1))[2] for slug in self.careers], dtype=float
        )
        self.career_weights = career_weights / career_weights.sum()
        goal_weights = np.array([GOAL_WEIGHTS.get(code, 1) for code in GOALS], dtype=float)
        self.goal_log_weights = np.log(goal_weights / goal_weights.sum())

    def create_batch(self, *, size):
        """Create `size` people in one transaction; return how many rows of each kind."""
        if size <= 0:
            return {"people": 0, "interests": 0, "values": 0}
        draws = self._draws(size)
        people = [self._person(draws, row) for row in range(size)]
        users = [user for user, _ in people]
        profiles = [profile for _, profile in people]
        with transaction.atomic():
            User.objects.bulk_create(users, batch_size=1000)
            EmailAddress.objects.bulk_create(
                [
                    EmailAddress(user_id=user.pk, email=user.email, verified=True, primary=True)
                    for user in users
                ],
                batch_size=1000,
            )
            for user, profile in zip(users, profiles, strict=True):
                profile.user_id = user.pk
            Profile.objects.bulk_create(profiles, batch_size=1000)
            interests, values = self._store_tags(profiles, draws)
            services.profile_search_refresh(profile_ids=[profile.pk for profile in profiles])
        return {"people": size, "interests": interests, "values": values}

    def _draws(self, size):
        """Every random choice of a batch, drawn at once (numpy), row by row."""
        rng = self.rng
        draws = {
            "places": rng.choice(len(PLACES), size=size, p=self.place_weights),
            "careers": rng.choice(len(self.careers), size=size, p=self.career_weights),
        }
        pastimes = np.where(
            rng.random(size) < 0.6, rng.integers(0, max(len(self.pools.categories), 1), size), -2
        )
        interest_counts = np.clip(
            np.rint(rng.lognormal(math.log(11), 0.45, size)), *INTEREST_RANGE
        ).astype(int)
        interest_counts = np.minimum(interest_counts, len(self.interest_ids))
        value_counts = np.clip(rng.poisson(1.8, size) + 1, *VALUE_RANGE).astype(int)
        value_counts = np.minimum(value_counts, len(self.value_ids))
        goal_counts = rng.choice(3, size=size, p=GOAL_COUNT_WEIGHTS) + 1
        draws["days_ago"] = rng.uniform(0, 365, size)
        draws["onboarding_minutes"] = rng.uniform(2, 45, size)
        draws["discoverable"] = rng.random(size) < DISCOVERABLE_SHARE
        draws["open_to_meet"] = rng.random(size) < OPEN_TO_MEET_SHARE
        draws["with_bio"] = rng.random(size) < BIO_SHARE
        draws["years"] = rng.integers(2, 25, size)
        career_category = self.career_category[draws["careers"]]
        home = (self.tag_category[None, :] == career_category[:, None]) | (
            self.tag_category[None, :] == pastimes[:, None]
        )
        interest_log_weights = (
            self.interest_log_weights[None, :] + math.log(HOME_CATEGORY_BOOST) * home
        )
        draws["interests"] = _sample_without_replacement(rng, interest_log_weights, interest_counts)
        draws["values"] = _sample_without_replacement(
            rng, np.broadcast_to(self.value_log_weights, (size, len(self.value_ids))), value_counts
        )
        draws["goals"] = _sample_without_replacement(
            rng, np.broadcast_to(self.goal_log_weights, (size, len(GOALS))), goal_counts
        )
        return draws

    def _person(self, draws, row):
        """(User, Profile) of one demo person, unsaved."""
        _locale, country, cities, _weight = PLACES[draws["places"][row]]
        faker = self.fakers[draws["places"][row]]
        first_name, last_name = faker.first_name(), faker.last_name()
        created_at = self.now - timedelta(days=float(draws["days_ago"][row]))
        user = User(
            email=f"demo-{self.number}@{DEMO_DOMAIN}",
            password=self.password,
            first_name=first_name[:150],
            last_name=last_name[:150],
            date_joined=created_at,
        )
        self.number += 1
        career = self.careers[draws["careers"][row]]
        industry, titles, _ = CAREERS.get(career, ("", GENERIC_TITLES, 1))
        title = self.text_random.choice(titles)
        company = self._company(faker, last_name, founder=career == "entrepreneurship")
        city = self.text_random.choice(cities)
        goals = [GOALS[index] for index in draws["goals"][row]]
        bio = ""
        if draws["with_bio"][row]:
            bio = self._bio(
                title=title,
                company=company,
                city=city,
                industry=industry or "my field",
                years=int(draws["years"][row]),
                interests=[self.interest_names[i] for i in draws["interests"][row]],
                values=[self.value_names[i] for i in draws["values"][row]],
                goals=goals,
            )
        profile = Profile(
            display_name=f"{first_name} {last_name}"[:80],
            headline=(f"{title} at {company}" if company else f"Freelance {_lower_title(title)}")[
                :120
            ],
            bio=bio,
            city=city,
            country=country,
            current_role=title,
            company=company[:100],
            industry=industry,
            goal_bits=goals_to_bits(goals),
            open_to_meet=bool(draws["open_to_meet"][row]),
            discoverable=bool(draws["discoverable"][row]),
            onboarded_at=created_at + timedelta(minutes=float(draws["onboarding_minutes"][row])),
            created_at=created_at,
        )
        return user, profile

    def _store_tags(self, profiles, draws):
        """Tag the saved profiles as drawn; (interests, values) written."""
        interests = [
            TaggedInterest(content_object_id=profile.pk, tag_id=int(self.interest_ids[i]))
            for profile, picks in zip(profiles, draws["interests"], strict=True)
            for i in picks
        ]
        values = [
            TaggedValue(content_object_id=profile.pk, tag_id=int(self.value_ids[i]))
            for profile, picks in zip(profiles, draws["values"], strict=True)
            for i in picks
        ]
        TaggedInterest.objects.bulk_create(interests, batch_size=5000)
        TaggedValue.objects.bulk_create(values, batch_size=5000)
        return len(interests), len(values)

    def _company(self, faker, last_name, *, founder):
        """A company name, or "" for a freelancer."""
        roll = self.text_random.random()
        if roll < FREELANCE_SHARE and not founder:
            return ""
        if roll < 0.3 or founder:
            return f"{last_name} {self.text_random.choice(COMPANY_SUFFIXES)}"
        return faker.company()

    def _bio(self, *, title, company, city, industry, years, interests, values, goals):
        pick = self.text_random
        fields = {
            "title": title,
            "title_lower": _lower_title(title),
            "company": company,
            "city": city,
            "industry": industry.lower(),
            "years": years,
            "first": _lower_first(interests[0]),
            "second": _lower_first(interests[1 % len(interests)]),
            "third": _lower_first(interests[-1]),
            "value": _lower_first(values[0]),
        }
        sentences = [pick.choice(BIO_OPENINGS if company else FREELANCE_BIO_OPENINGS)]
        sentences += pick.sample(BIO_MIDDLES, k=pick.randint(1, 2))
        text = " ".join(sentence.format(**fields) for sentence in sentences)
        return f"{text} {GOAL_SENTENCES[goals[0]]}"


def _lower_title(title):
    """'Software engineer' -> 'software engineer'; 'CTO' and 'UX researcher' stay."""
    first_word = title.split(" ", 1)[0]
    if first_word[1:].islower():
        return title[0].lower() + title[1:]
    return title


def _lower_first(text):
    """'Machine learning' -> 'machine learning'; 'AI safety', 'DevOps' and 'Python' stay."""
    first_word = text.split(" ", 1)[0]
    if first_word in PROPER_NOUNS or not first_word[1:].islower():
        return text
    return text[0].lower() + text[1:]


def demo_login_ensure(*, pools, seed, stdout):
    """The fixed demo login: created once with a complete profile, kept afterwards."""
    password = settings.INTCH_DEMO_PASSWORD
    user = User.objects.filter(email=DEMO_LOGIN_EMAIL).first()
    with transaction.atomic():
        if user is None:
            user = User.objects.create_user(email=DEMO_LOGIN_EMAIL, password=password)
            stdout.write(f"Created the demo login {DEMO_LOGIN_EMAIL}.")
        elif not user.check_password(password):
            user.set_password(password)
            user.save(update_fields=["password"])
            stdout.write(f"Reset the password of {DEMO_LOGIN_EMAIL} to the demo password.")
        EmailAddress.objects.update_or_create(
            user=user, email=DEMO_LOGIN_EMAIL, defaults={"verified": True, "primary": True}
        )
        profile, _ = Profile.objects.get_or_create(user=user)
        if (
            profile.onboarded_at
            and profile.interest_items.exists()
            and profile.value_items.exists()
        ):
            return user
        # Popular tags, so the demo login has plenty of matches to look at.
        interest_weights, value_weights = _popularity(pools=pools, seed=seed)
        interests = [pools.interests[i] for i in np.argsort(-interest_weights)[:12]]
        values = [pools.values[i] for i in np.argsort(-value_weights)[:3]]
        profile.display_name = profile.display_name or "Alex Morgan"
        profile.headline = profile.headline or "Product engineer trying out intch"
        profile.bio = profile.bio or (
            "This is the shared demo account. Have a look at your matches, open a few "
            "profiles and send someone a request: every other person here is made up."
        )
        profile.city = profile.city or "Amsterdam"
        profile.country = profile.country or "Netherlands"
        profile.current_role = profile.current_role or "Product engineer"
        profile.company = profile.company or "intch"
        profile.industry = profile.industry or "Software"
        profile.goal_bits = profile.goal_bits or goals_to_bits(
            ["meet_peers", "learn", "find_cofounder"]
        )
        profile.onboarded_at = profile.onboarded_at or timezone.now()
        profile.save()
        TaggedInterest.objects.bulk_create(
            [TaggedInterest(content_object=profile, tag_id=pk) for pk, _, _ in interests],
            ignore_conflicts=True,
        )
        TaggedValue.objects.bulk_create(
            [TaggedValue(content_object=profile, tag_id=pk) for pk, _, _ in values],
            ignore_conflicts=True,
        )
        services.profile_search_refresh(profile_ids=[profile.pk])
    return user
