"""What people are looking for, and which goals complement each other.

A profile stores its goals as a bitmask (`Profile.goal_bits`): bit i is GOALS[i].
The order is part of the stored data: append new goals, never reorder.
"""

from collections.abc import Iterable

GOAL_CHOICES = (
    ("find_mentor", "Find a mentor"),
    ("mentor_others", "Mentor others"),
    ("find_cofounder", "Find a co-founder"),
    ("hire", "Hire"),
    ("find_job", "Find a job"),
    ("invest", "Invest"),
    ("raise_funding", "Raise funding"),
    ("find_clients", "Find clients"),
    ("find_partners", "Find partners"),
    ("meet_peers", "Meet peers"),
    ("learn", "Learn"),
)
GOALS = tuple(code for code, _ in GOAL_CHOICES)
GOAL_LABELS = dict(GOAL_CHOICES)

# Sentences used when a match is explained: (my goal, their goal) -> text about them.
COMPLEMENTARY_GOALS = (
    ("find_mentor", "mentor_others"),
    ("hire", "find_job"),
    ("raise_funding", "invest"),
    ("find_cofounder", "find_cofounder"),
    ("find_clients", "find_partners"),
    ("meet_peers", "meet_peers"),
)

# How common each goal is (relative weights) and how many goals a person picks (1, 2 or 3), for
# demo people (seed_demo) and synthetic populations (matching/evaluation.py): many want to meet
# peers or learn, fewer want a mentor, an investor or a co-founder.
GOAL_WEIGHTS = {
    "find_mentor": 10,
    "mentor_others": 8,
    "find_cofounder": 7,
    "hire": 8,
    "find_job": 8,
    "invest": 3,
    "raise_funding": 5,
    "find_clients": 8,
    "find_partners": 9,
    "meet_peers": 18,
    "learn": 16,
}
GOAL_COUNT_WEIGHTS = (0.35, 0.4, 0.25)


def goals_to_bits(codes: Iterable[str]) -> int:
    """Turn goal codes into the stored bitmask; unknown codes are ignored."""
    bits = 0
    for code in codes:
        if code in GOALS:
            bits |= 1 << GOALS.index(code)
    return bits


def bits_to_goals(bits: int) -> list[str]:
    """Turn the stored bitmask back into goal codes, in GOALS order."""
    return [code for index, code in enumerate(GOALS) if bits & (1 << index)]
