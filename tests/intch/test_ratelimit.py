"""The shared rate limit (intch/ratelimit.py): a sliding window, whatever the wall clock says.

Every test steps the limits' clock itself, starting 0.2 s before a minute begins, so the runs
that straddle a boundary are the ones that used to let twice the limit through. The same tests
run on the local memory cache (make test) and on Redis (services mode).
"""

import threading

import pytest

from intch import ratelimit


def _hits(key, count, *, limit=5, period=60):
    return [ratelimit.hit(key=key, limit=limit, period=period).allowed for _ in range(count)]


def test_a_burst_across_a_minute_boundary_gets_the_limit_and_no_more(stepped_clock):
    before = _hits("burst", 5)
    stepped_clock.step(0.5)  # :59.8 → :00.3, a new minute on the wall clock
    after = _hits("burst", 5)

    assert before == [True] * 5
    assert after == [False] * 5


def test_the_window_slides_one_action_at_a_time(stepped_clock):
    for _ in range(3):
        assert ratelimit.hit(key="slide", limit=3, period=60).allowed
        stepped_clock.step(10)
    refused = ratelimit.hit(key="slide", limit=3, period=60)
    # The first action was 30 s ago: it leaves the window 30 s from now.
    assert (refused.allowed, round(refused.retry_after, 3)) == (False, 30.0)

    stepped_clock.step(29.9)
    assert not ratelimit.hit(key="slide", limit=3, period=60).allowed
    stepped_clock.step(0.1)
    assert ratelimit.hit(key="slide", limit=3, period=60).allowed
    assert not ratelimit.hit(key="slide", limit=3, period=60).allowed
    stepped_clock.step(10)  # the second action leaves the window
    assert ratelimit.hit(key="slide", limit=3, period=60).allowed


def test_refused_attempts_do_not_hold_the_window_open(stepped_clock):
    assert _hits("retry", 2, limit=2) == [True, True]
    for _ in range(50):  # someone keeps trying for the whole minute
        stepped_clock.step(1)
        ratelimit.hit(key="retry", limit=2, period=60)

    stepped_clock.step(10)  # 60 s after the two that counted

    assert _hits("retry", 3, limit=2) == [True, True, False]


def test_a_day_long_limit_holds_across_midnight(stepped_clock):
    day = 24 * 60 * 60
    assert _hits("intro", 3, limit=3, period=day) == [True] * 3
    stepped_clock.step(1)  # past midnight

    refused = ratelimit.hit(key="intro", limit=3, period=day)

    assert not refused.allowed
    assert ratelimit.wait_text(refused.retry_after) == "about 24 hours"
    stepped_clock.step(day - 1)
    assert ratelimit.hit(key="intro", limit=3, period=day).allowed


def test_each_key_has_its_own_limit_and_reset_forgets_one(stepped_clock):
    assert _hits("anna", 2, limit=2) + _hits("ben", 2, limit=2) == [True] * 4
    assert _hits("anna", 1, limit=2) == [False]

    ratelimit.reset(key="anna")

    assert _hits("anna", 1, limit=2) == [True]
    assert _hits("ben", 1, limit=2) == [False]


def test_a_limit_of_zero_is_no_limit(stepped_clock):
    assert _hits("free", 100, limit=0) == [True] * 100


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.2, "1 second"),
        (12.1, "13 seconds"),
        (60, "1 minute"),
        (61, "2 minutes"),
        (3599, "about 1 hour"),
        (3600 * 5.2, "about 5 hours"),
    ],
)
def test_the_wait_reads_like_a_person_would_say_it(seconds, text):
    assert ratelimit.wait_text(seconds) == text


def test_a_concurrent_burst_gets_exactly_the_limit(stepped_clock):
    """Eight threads at the same moment: the check and the record are one atomic step."""
    limit, threads_count, each = 10, 8, 5
    results = []
    start = threading.Barrier(threads_count)

    def worker():
        start.wait()
        results.extend(_hits("together", each, limit=limit))

    threads = [threading.Thread(target=worker) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert (results.count(True), results.count(False)) == (limit, threads_count * each - limit)
