"""What the admin's change forms post, as an object stands, with some fields changed."""


def tag_form(tag, **changes):
    """The tag change form (no aliases added)."""
    data = {
        "name": tag.name,
        "slug": tag.slug,
        "kind": tag.kind,
        "status": tag.status,
        "category": tag.category_id,
        "description": "",
        "aliases-TOTAL_FORMS": "0",
        "aliases-INITIAL_FORMS": "0",
    }
    return {**data, **changes}


def profile_form(profile, **changes):
    """The profile change form."""
    data = {
        "user": profile.user_id,
        "display_name": profile.display_name,
        "headline": profile.headline,
        "bio": "",
        "current_role": "",
        "company": "",
        "industry": "",
        "city": profile.city,
        "country": profile.country,
        "linkedin_url": "",
        "website_url": "",
        "open_to_meet": "on",
        "discoverable": "on",
        "email_notifications": "on",
        "onboarded_at_0": "2026-01-01",
        "onboarded_at_1": "10:00:00",
    }
    return {**data, **changes}
