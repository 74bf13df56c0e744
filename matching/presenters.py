"""Words for the reasons behind a match (pure functions, no ORM)."""

_GOAL_SENTENCES = {
    ("find_mentor", "mentor_others"): "You are looking for a mentor; {name} mentors others.",
    ("mentor_others", "find_mentor"): "{name} is looking for a mentor; you mentor others.",
    ("hire", "find_job"): "You are hiring; {name} is looking for a job.",
    ("find_job", "hire"): "{name} is hiring; you are looking for a job.",
    ("raise_funding", "invest"): "You are raising funding; {name} invests.",
    ("invest", "raise_funding"): "{name} is raising funding; you invest.",
    ("find_cofounder", "find_cofounder"): "You are both looking for a co-founder.",
    (
        "find_clients",
        "find_partners",
    ): "You are looking for clients; {name} is looking for partners.",
    (
        "find_partners",
        "find_clients",
    ): "You are looking for partners; {name} is looking for clients.",
    ("meet_peers", "meet_peers"): "You both want to meet peers.",
}


def goal_sentence(my_goal, their_goal, name):
    """“You are hiring; Sam is looking for a job.” for a complementary pair of goals."""
    template = _GOAL_SENTENCES.get((my_goal, their_goal))
    if template is None:
        return ""
    return template.format(name=name)


def more_shared(reasons, shown):
    """How many shared tags are folded away as “+N more”."""
    shown_interests = min(len(reasons.get("interests", [])), 5)
    shown_values = min(len(reasons.get("values", [])), 3)
    total = len(reasons.get("interests", [])) + len(reasons.get("values", []))
    return max(0, total - shown_interests - shown_values)
