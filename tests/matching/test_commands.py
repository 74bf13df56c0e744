from io import StringIO

from django.core.management import call_command

from matching.models import Match, MatchRun
from tests.factories import TagFactory, complete_profile


def test_recompute_matches_computes_everyone_and_reports_the_run(db):
    tags = TagFactory.create_batch(3)
    people = [complete_profile(interests=tags) for _ in range(3)]
    out = StringIO()
    call_command("recompute_matches", stdout=out, stderr=StringIO())
    assert Match.objects.count() == 6
    run = MatchRun.objects.get()
    assert f"Run {run.pk}: 3 people, 6 matches" in out.getvalue()
    assert {m.candidate_id for m in Match.objects.filter(user=people[0].user)} == {
        people[1].user_id,
        people[2].user_id,
    }


def test_recompute_matches_for_one_user(db):
    tags = TagFactory.create_batch(3)
    me, other = complete_profile(interests=tags), complete_profile(interests=tags)
    out = StringIO()
    call_command("recompute_matches", "--user", str(me.user_id), stdout=out)
    assert list(Match.objects.filter(user=me.user).values_list("candidate", flat=True)) == [
        other.user_id
    ]
    assert "1 matches" in out.getvalue()


def test_if_empty_skips_when_matches_exist(db):
    tags = TagFactory.create_batch(3)
    complete_profile(interests=tags), complete_profile(interests=tags)
    call_command("recompute_matches", stdout=StringIO(), stderr=StringIO())
    out = StringIO()
    call_command("recompute_matches", "--if-empty", stdout=out)
    assert "skipping" in out.getvalue()
    assert MatchRun.objects.count() == 1
