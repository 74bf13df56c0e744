"""The offline evaluation: metrics on hand-made cases, the synthetic population, exact re-ranking,
and `manage.py evaluate_matching` (synthetic and --from-db)."""

import math
from io import StringIO

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from matching import engine
from matching import evaluation as ev
from matching.models import Pass, Saved
from messaging import services as messaging_services
from tests.factories import TagFactory, complete_profile, conversation_between

SHIPPED = engine.EngineWeights()
BIT = {g: 1 << i for i, g in enumerate(engine.GOALS)}


# --- metrics on hand-made cases ----------------------------------------------------------------


def test_gini_of_equal_exposure_is_zero_and_of_one_person_taking_all_is_n_minus_1_over_n():
    assert ev.gini(np.array([3, 3, 3, 3])) == pytest.approx(0.0)
    assert ev.gini(np.array([0, 0, 0, 8])) == pytest.approx(0.75)
    # [1, 2, 3]: 2 * (1*1 + 2*2 + 3*3) / (3 * 6) - 4/3 = 2/9
    assert ev.gini(np.array([3, 1, 2])) == pytest.approx(2 / 9)
    assert ev.gini(np.array([0, 0])) is None


def test_planted_precision_of_a_perfect_ranking_is_one_and_padding_does_not_count():
    community = np.array([0, 0, 0, 1, 1, 1])
    perfect = np.array([[1, 2], [0, 2], [0, 1], [4, 5], [3, 5], [3, 4]])
    assert ev.planted_precision(perfect, community) == 1.0
    # row 0: 1 of 2 from its community; row 1: its only entry is; rows 2-5 have empty lists
    mixed = np.array([[1, 3], [0, -1], [-1, -1], [-1, -1], [-1, -1], [-1, -1]])
    assert ev.planted_precision(mixed, community) == pytest.approx((0.5 + 1.0) / 2)
    assert ev.planted_precision(np.full((6, 2), -1), community) is None


def test_exposure_counts_coverage_gini_and_the_most_shown_person():
    # 4 people, lists of 2: person 0 is in 3 lists, person 1 in 2, person 3 in 1, person 2 never
    indices = np.array([[1, 3], [0, -1], [0, 1], [0, -1]])
    result = ev.exposure(indices)
    assert result.coverage == 0.75
    assert result.max_share == 0.75  # 3 of the 4 non-empty lists
    assert result.gini == pytest.approx(ev.gini(np.array([3, 2, 0, 1])))
    # only people who may be suggested count: person 2 is not eligible
    eligible = np.array([True, True, False, True])
    assert ev.exposure(indices, eligible).coverage == 1.0
    assert ev.exposure(np.full((3, 2), -1)) == ev.Exposure(None, None, None)


def test_goal_fit_counts_partners_of_each_wanted_goal():
    goals = np.array(
        [
            BIT["find_mentor"],  # 0 wants a mentor
            BIT["mentor_others"],  # 1 mentors
            BIT["raise_funding"],  # 2 wants an investor
            BIT["learn"],  # 3 has no goal with a partner
            BIT["mentor_others"],  # 4 mentors
        ]
    )
    indices = np.array([[1, 4], [0, 2], [3, 4], [0, 1], [-1, -1]])
    fit = ev.goal_fit(indices, goals)
    assert fit["mentor"] == ev.GoalFit(1, 1.0, 2.0)
    assert fit["investor"] == ev.GoalFit(1, 0.0, 0.0)
    assert fit["co-founder"] == ev.GoalFit(0, None, None)
    # 'any goal': people 0, 1, 2 and 4 have a goal with a partner; 0 and 1 see one, 2 and 4 not
    assert fit["any goal"].people == 4
    assert fit["any goal"].share_with_one == 0.5


def test_acceptance_follows_the_behaviour_model_and_floods_cut_it():
    model = ev.BehaviourModel(selectivity_sd=0.0, never_answer=0.0, rare_share=0.0)
    # tags 0, 1 held by 2 people each (rare: at most 2 holders), tag 2 by all 4 (common)
    rows = np.array([0, 0, 0, 1, 1, 1, 2, 3])
    cols = np.array([0, 1, 2, 0, 1, 2, 2, 2])
    pattern = ev.SyntheticPopulation(
        spec=ev.PopulationSpec(n_people=4, n_communities=1),
        rows=rows,
        cols=cols,
        n_tags=3,
        tag_is_value=np.zeros(3, bool),
        pools=np.zeros((1, 1), int),
        favoured_values=np.zeros((1, 1), int),
        goal_bits=np.zeros(4, np.uint16),
        community=np.zeros(4, int),
    ).pattern()
    goals = np.array([BIT["find_mentor"], BIT["mentor_others"], 0, 0])
    behaviour = ev.behaviour_draw(model, pattern, goals, seed=1)
    p = ev.accept_probability(behaviour, np.array([0, 0, 2]), np.array([1, 3, 3]))

    def sigmoid(x):
        return 1 / (1 + math.exp(-x))

    # 0 -> 1: 2 rare tags shared (0 and 1), 1 common (2), and a goal pair
    assert p[0] == pytest.approx(sigmoid(-2.4 + 2 * 0.6 + 0.1 + 1.2))
    # 0 -> 3 and 2 -> 3: only the common tag
    assert p[1] == pytest.approx(sigmoid(-2.4 + 0.1))
    assert p[2] == pytest.approx(p[1])
    # someone in 100 lists receives 30 intros and answers 15 of them
    assert ev.capacity_factor(model, np.array([0, 10, 100])).tolist() == [1.0, 1.0, 0.5]
    # people who never answer accept nothing
    silent = ev.behaviour_draw(ev.BehaviourModel(never_answer=1.0), pattern, goals, seed=1)
    assert ev.accept_probability(silent, np.array([0]), np.array([1])).tolist() == [0.0]


def test_reciprocal_success_is_the_mean_acceptance_of_the_listed_intros():
    pop = ev.population_make(ev.PopulationSpec(n_people=300, n_communities=3, seed=4))
    behaviour = ev.behaviour_draw(ev.BehaviourModel(), pop.pattern(), pop.goal_bits, 4)
    prepared = engine.build_matrix(
        pop.rows, pop.cols, pop.n_people, pop.n_tags, pop.tag_is_value, pop.goal_bits
    )
    [ranking] = ev.rank(prepared, [ev.variant_parse("no-goal", SHIPPED)], 5)
    sender, pos = np.nonzero(ranking.indices >= 0)
    p = ev.accept_probability(behaviour, sender, ranking.indices[sender, pos])
    assert ev.reciprocal_success(ranking, behaviour) == pytest.approx(p.mean())
    assert 0 < p.mean() < 1


# --- the synthetic population ------------------------------------------------------------------


def test_population_is_deterministic_with_a_seed_and_planted_as_described():
    spec = ev.PopulationSpec(n_people=2000, n_communities=10, seed=7)
    a, b = ev.population_make(spec), ev.population_make(spec)
    assert np.array_equal(a.rows, b.rows) and np.array_equal(a.cols, b.cols)
    assert np.array_equal(a.goal_bits, b.goal_bits)
    assert np.array_equal(a.community, b.community)
    other = ev.population_make(ev.PopulationSpec(n_people=2000, n_communities=10, seed=8))
    assert not np.array_equal(a.cols, other.cols)
    assert ev.population_describe(a) == ev.population_describe(b)

    interests = np.diff(a.pattern().indptr)
    assert interests.min() >= 5 + 1 and interests.max() <= 25 + 6
    # about half of everyone's interests come from their community's pool
    in_pool = np.zeros((10, a.n_tags), bool)
    in_pool[np.arange(10)[:, None], a.pools] = True
    own = in_pool[a.community[a.rows], a.cols]
    share = own.sum() / (~a.tag_is_value[a.cols]).sum()
    assert 0.4 < share < 0.6
    # goals: many want to meet peers or learn, fewer a mentor, fewer still an investor
    has = {g: np.mean((a.goal_bits & bit) != 0) for g, bit in BIT.items()}
    assert has["meet_peers"] > has["find_mentor"] > has["raise_funding"] > has["invest"] > 0
    # goals are independent of communities: the share wanting a mentor is alike everywhere
    per_community = [
        np.mean((a.goal_bits[a.community == c] & BIT["find_mentor"]) != 0) for c in range(10)
    ]
    assert max(per_community) - min(per_community) < 0.12


def test_population_refuses_impossible_specs():
    with pytest.raises(ValueError, match="at least 1 person"):
        ev.population_make(ev.PopulationSpec(n_people=0))
    with pytest.raises(ValueError, match="communities"):
        ev.population_make(ev.PopulationSpec(n_people=5, n_communities=6))


# --- exact rankings ----------------------------------------------------------------------------


def _small(n=400, seed=3, weights=SHIPPED):
    pop = ev.population_make(ev.PopulationSpec(n_people=n, n_communities=4, seed=seed))
    prepared = engine.build_matrix(
        pop.rows, pop.cols, pop.n_people, pop.n_tags, pop.tag_is_value, pop.goal_bits, weights
    )
    return pop, prepared


def _brute_force_scores(prepared, variant):
    """Every pair's variant score from a dense float64 cosine; -inf where not a candidate."""
    X = prepared.X.toarray().astype(np.float64)
    cos = X @ X.T
    goal = engine.goal_complementarity(
        prepared.goal_bits[:, None], prepared.goal_bits[None, :], prepared.weights.goal_pair_cap
    )
    s = variant.score(cos, goal)
    s[cos <= 1e-9] = -np.inf
    np.fill_diagonal(s, -np.inf)
    return s


@pytest.mark.parametrize("name", ["lift:0.5", "lift:3", "cap:0.1:1", "cap:0.3:0.5", "no-goal"])
def test_every_variant_gives_the_exact_top_k(name):
    _, prepared = _small()
    variant = ev.variant_parse(name, SHIPPED)
    k = 10
    for depth in (None, k):  # the default pools, and pools so shallow many rows must deepen
        [ranking] = ev.rank(prepared, [variant], k, pool_depth=depth)
        brute = _brute_force_scores(prepared, variant)
        best = -np.sort(-brute, axis=1)[:, :k]
        filled = ranking.indices >= 0
        assert np.array_equal(filled, np.isfinite(best))
        assert np.allclose(ranking.score[filled], best[filled], atol=1e-6)
        rows = np.nonzero(filled)[0]
        assert np.allclose(brute[rows, ranking.indices[filled]], best[filled], atol=1e-6)
    if variant.kind != "engine":
        assert ranking.deepened > 0 and ranking.deepest > k


def test_re_ranking_with_the_engine_formula_is_bit_identical_to_the_engine():
    _, prepared = _small(600, seed=5)
    rows = np.arange(prepared.n_people)
    flat = ev.Variant("flat", "engine", SHIPPED.goal_bonus)
    for depth in (30, 10):
        pool = ev._pools(prepared, rows, depth, None, None)
        idx, cos, _goal, score, _, _ = ev.rerank_exact(
            pool,
            flat,
            10,
            lambda which, d: ev._pools(prepared, which, d, None, None),
            prepared.n_people,
        )
        direct = engine.top_k(prepared, rows, 10)
        assert np.array_equal(idx, direct.indices)
        assert np.array_equal(score, direct.score_float)
        assert np.array_equal(cos, direct.cosine)


def test_rankings_respect_eligibility_and_exclusions():
    _, prepared = _small(200)
    eligible = np.ones(200, bool)
    eligible[::3] = False
    exclude = engine.exclusion_matrix(np.array([[1, 2], [4, 5]]), 200, symmetric=True)
    rankings = ev.rank(
        prepared,
        [ev.variant_parse(v, SHIPPED) for v in ("shipped", "lift:0.5")],
        10,
        eligible=eligible,
        exclude=exclude,
    )
    for r in rankings:
        shown = r.indices[r.indices >= 0]
        assert eligible[shown].all()
        assert 2 not in r.indices[1] and 5 not in r.indices[4]


def test_variant_names_are_parsed_and_bad_ones_explained():
    assert ev.variant_parse("shipped", SHIPPED).formula() == "0.8*cos + 0.2*goal"
    assert ev.variant_parse("no-goal", SHIPPED).formula() == "cos"
    assert ev.variant_parse("lift:0.5", SHIPPED).formula() == "cos * (1 + 0.5*goal)"
    assert ev.variant_parse("cap:0.1:1", SHIPPED).formula() == "cos + min(0.1, 1*cos)*goal"
    for bad, message in [
        ("magic", "unknown variant"),
        ("lift", "takes 1 parameter"),
        ("lift:x", "must be numbers"),
        ("lift:-1", "must not be negative"),
        ("bonus:1", "below 1"),
        ("cap:0.1", "takes 2 parameter"),
        ("lift:nan", "finite"),
    ]:
        with pytest.raises(ValueError, match=message):
            ev.variant_parse(bad, SHIPPED)


# --- the command -------------------------------------------------------------------------------


def _run(*args):
    out = StringIO()
    call_command("evaluate_matching", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_command_prints_the_population_and_one_row_per_variant():
    text = _run("--people", "400", "--communities", "4", "--variants", "shipped", "lift:0.5")
    assert "400 people in 4 planted communities" in text
    assert "behaviour model:" in text
    header = next(line for line in text.splitlines() if line.startswith("variant"))
    for column in ("planted P@10", "reciprocal@10", "coverage", "Gini", "max share"):
        assert column in header
    lines = text.splitlines()
    start = lines.index(header) + 2
    table = [line.split("  ") for line in lines[start : start + 2]]
    cells = [[c.strip() for c in row if c.strip()] for row in table]
    assert [row[:2] for row in cells] == [
        ["shipped", "0.8*cos + 0.2*goal"],
        ["lift:0.5", "cos * (1 + 0.5*goal)"],
    ]
    for row in cells:
        precision, reciprocal, coverage, gini, max_share, _seconds = row[2:]
        assert 0.5 < float(precision) <= 1 and 0 < float(reciprocal) < 1
        assert 0.5 < float(coverage) <= 1 and 0 <= float(gini) < 1
        assert 0 < float(max_share.rstrip("%")) < 100
    assert "nan" not in text.lower()
    assert "mentor" in text and "investor" in text and "co-founder" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--people", "0"], "--people must be at least 1"),
        (["--people", "-5"], "--people must be at least 1"),
        (["--people", "many"], "--people must be a whole number"),
        (["--people", "50", "--k", "50"], "--k 50 is too large for 50 people"),
        (["--people", "50", "--k", "0"], "--k must be at least 1"),
        (["--people", "50", "--communities", "60"], "more than the 50 people"),
        (["--people", "50", "--variants", "magic"], "unknown variant"),
        (["--people", "50", "--variants", "lift:1", "lift:1"], "only once"),
        (["--people", "50", "--behaviour", "goal"], "NAME=VALUE"),
        (["--people", "50", "--behaviour", "charm=2"], "unknown behaviour setting"),
        (["--people", "50", "--behaviour", "never_answer=2"], "between 0 and 1"),
        (["--from-db", "--people", "50"], "--from-db evaluates the stored one"),
    ],
)
def test_command_refuses_bad_input_clearly(args, message):
    with pytest.raises(CommandError, match=message):
        _run(*args)


def test_command_takes_behaviour_changes():
    text = _run("--people", "300", "--variants", "no-goal", "--behaviour", "goal=0.5")
    assert "+ 0.5 if the sender answers one of the recipient's goals" in text


def test_from_db_on_an_empty_or_tiny_database_says_so(db):
    assert "no active, onboarded people yet" in _run("--from-db")
    tags = TagFactory.create_batch(2)
    for _ in range(3):
        complete_profile(interests=tags)
    text = _run("--from-db")
    assert "only 3 active, onboarded people, and a top 10 needs at least 11" in text
    assert "nan" not in text.lower()


def test_from_db_evaluates_the_stored_people_and_their_logged_outcomes(db):
    tags = TagFactory.create_batch(3)
    people = [complete_profile(interests=tags) for _ in range(6)]
    users = [p.user for p in people]
    text = _run("--from-db", "--k", "3", "--variants", "shipped", "no-goal")
    assert "6 active, onboarded people, 6 of them discoverable" in text
    assert "Logged outcomes: none yet" in text
    assert "nan" not in text.lower()

    conversation_between(users[0], users[1])
    declined = conversation_between(users[2], users[3], accepted=False)
    messaging_services.conversation_decline(conversation=declined, user=users[3])
    conversation_between(users[4], users[5], accepted=False)  # still waiting
    Pass.objects.create(user=users[0], passed=users[2])
    Saved.objects.create(user=users[1], saved=users[3])
    text = _run("--from-db", "--k", "5", "--variants", "shipped", "no-goal")
    assert "2 answered intros (1 accepted, 1 declined), 1 waiting; 1 passes; 1 saves" in text
    # with 6 people and k 5, everyone is in everyone's list: every logged pair is in the top 5
    shipped = [line for line in text.splitlines() if line.startswith("shipped ")][-1]
    cells = [cell.strip() for cell in shipped.split("  ") if cell.strip()]
    assert cells[-4:] == ["- (2: too few)", "- (0: too few)", "1 of 1", "1 of 1"]
