"""The profile section of the member's home page: what would make the profile better."""

from django.urls import reverse

from intch.home_sections import ASIDE, home_section
from profiles.selectors import profile_with_tag_counts
from profiles.services import INTEREST_LIMITS, VALUE_LIMITS

# More than the minimum for matching makes better matches; the prompt asks for this many.
INTERESTS_WANTED = 5
PROMPTS_SHOWN = 3


def _steps(profile):
    """(done, prompt) for each part of a complete profile, most useful first."""
    edit = reverse("profiles:edit")
    interests = profile.interest_count
    return [
        (
            profile.onboarded_at is not None,
            {
                "label": "Finish setting up your profile",
                "why": "Your matches are found once you have interests, values and a goal.",
                "url": reverse("profiles:onboarding"),
            },
        ),
        (
            bool(profile.avatar),
            {
                "label": "Add a photo",
                "why": "People answer a face more often than initials.",
                "url": f"{edit}#id_avatar_upload",
            },
        ),
        (
            bool(profile.headline),
            {
                "label": "Write a headline",
                "why": "One line people see first, under your name.",
                "url": f"{edit}#id_headline",
            },
        ),
        (
            interests >= INTERESTS_WANTED,
            {
                "label": (
                    f"Add {INTERESTS_WANTED - interests} more interest"
                    f"{'' if INTERESTS_WANTED - interests == 1 else 's'}"
                ),
                "why": (
                    "More interests, better matches."
                    if interests >= INTEREST_LIMITS[0]
                    else f"Matching needs at least {INTEREST_LIMITS[0]}."
                ),
                "url": reverse("profiles:edit_interests"),
            },
        ),
        (
            profile.value_count >= VALUE_LIMITS[0],
            {
                "label": "Add what matters to you at work",
                "why": "Shared values say a lot about a match.",
                "url": reverse("profiles:edit_values"),
            },
        ),
        (
            bool(profile.goal_bits),
            {
                "label": "Choose what you are looking for",
                "why": "So we know whom to introduce you to.",
                "url": f"{edit}#goals",
            },
        ),
        (
            bool(profile.bio),
            {
                "label": "Say a little about yourself",
                "why": "What you work on, what you would like to talk about.",
                "url": f"{edit}#id_bio",
            },
        ),
        (
            bool(profile.city or profile.country),
            {
                "label": "Add where you are",
                "why": "People nearby can suggest meeting in person.",
                "url": f"{edit}#id_city",
            },
        ),
    ]


@home_section(
    key="profile",
    title="Your profile",
    template="profiles/home/_profile.html",
    order=10,
    column=ASIDE,
)
def profile_prompts(*, user):
    """How complete the person's profile is, and the next few things to add (one query)."""
    profile = profile_with_tag_counts(user=user)
    if profile is None:
        return {"percent": 0, "prompts": [], "missing": True}
    steps = _steps(profile)
    done = sum(1 for finished, _ in steps if finished)
    prompts = [prompt for finished, prompt in steps if not finished]
    return {
        "percent": round(100 * done / len(steps)),
        "prompts": prompts[:PROMPTS_SHOWN],
        "more": max(len(prompts) - PROMPTS_SHOWN, 0),
        "title": "Your profile is complete" if not prompts else "Complete your profile",
        "link_url": reverse("profiles:me"),
        "link_label": "View your profile",
    }
