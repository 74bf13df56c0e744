"""The words for why two people would get along (no database)."""

from profiles import reasons


def _tags(prefix, count):
    return [{"name": f"{prefix} {n}", "slug": f"{prefix.lower()}-{n}"} for n in range(count)]


def test_goal_sentences_name_the_other_person():
    assert (
        reasons.goal_sentence("hire", "find_job", "Sam")
        == "You are hiring; Sam is looking for a job."
    )
    assert (
        reasons.goal_sentence("find_job", "hire", "Sam")
        == "Sam is hiring; you are looking for a job."
    )
    assert reasons.goal_sentence("learn", "learn", "Sam") == ""


def test_goal_sentences_skip_unknown_and_malformed_pairs():
    pairs = [["hire", "find_job"], ["learn", "invest"], ["oops"], ["hire", "find_job"]]
    assert reasons.goal_sentences(pairs, "Sam") == ["You are hiring; Sam is looking for a job."]
    assert reasons.goal_sentences(None, "Sam") == []


def test_chips_keep_rarest_interests_first_and_make_room_for_values():
    shared = {"interests": _tags("I", 7), "values": _tags("V", 3)}
    shown, folded = reasons.reason_chips(shared)
    assert [c["name"] for c in shown] == ["I 0", "I 1", "I 2", "I 3", "V 0", "V 1"]
    assert [c["name"] for c in folded] == ["I 4", "I 5", "I 6", "V 2"]
    assert {c["kind"] for c in shown[:4]} == {"interest"}
    assert shown[-1]["kind"] == "value"
    assert reasons.more_shared(shared) == 4


def test_chips_fill_free_places_from_either_kind():
    only_interests = {"interests": _tags("I", 8), "values": []}
    shown, folded = reasons.reason_chips(only_interests)
    assert len(shown) == 6 and len(folded) == 2
    many_values = {"interests": _tags("I", 1), "values": _tags("V", 7)}
    shown, folded = reasons.reason_chips(many_values)
    assert [c["name"] for c in shown] == ["I 0", "V 0", "V 1", "V 2", "V 3", "V 4"]
    assert len(folded) == 2


def test_chips_of_few_or_no_reasons():
    assert reasons.reason_chips({}) == ([], [])
    assert reasons.reason_chips(None) == ([], [])
    shown, folded = reasons.reason_chips({"interests": _tags("I", 2), "values": _tags("V", 1)})
    assert len(shown) == 3 and folded == []
