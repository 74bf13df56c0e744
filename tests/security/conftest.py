import io
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

# Text only its owner (or the two people in a conversation) may ever see. Lower case, so a
# page is checked with `secret in page.lower()`.
SECRETS = (
    "olivia-private-q7",  # the owner's email address (its local part is the tell)
    "olivia-second-q7",  # her second, unverified address
    "private-intro-q7",
    "private-message-q7",
    "private-request-q7",
    "private-declined-q7",
    "private-report-q7",
    "private tag q7",
    "private-hidden-q7",
    "private-blocker-q7",
    "newcomer-private-q7",
)


@dataclass
class World:
    """One owner with private things of every kind, and people a stranger may not see."""

    owner: object  # Profile of the member_client
    stranger: object  # Profile of the stranger_client
    partner: object  # talks with the owner
    asker: object  # sent the owner a request that waits
    decliner: object  # declined the owner's request
    hidden: object  # not discoverable
    blocker: object  # blocked the stranger
    suspended: object  # account suspended by the moderators
    newcomer: object  # signed up, never finished onboarding
    blocked_by_owner: object
    conversation: object  # owner and partner, accepted
    request: object  # asker → owner, waiting
    declined: object  # owner → decliner, declined
    partner_message: object
    owner_message: object
    report: object
    pending_tag: object
    approved_tag: object
    rejected_tag: object
    second_email: object  # the owner's unverified EmailAddress
    hidden_avatar_names: tuple  # names an old, guessable scheme would have given the avatar
    replaced_avatar: str  # the owner's previous picture
    missing_id: int = 987_654_321


def png_upload(name="me.png", size=(40, 30)):
    buffer = io.BytesIO()
    Image.new("RGB", size, (20, 120, 200)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def profile_form_data(profile, **changes):
    """Everything the profile edit form posts, as the profile stands, with `changes`."""
    data = {
        "display_name": profile.display_name,
        "headline": profile.headline,
        "bio": profile.bio,
        "city": profile.city,
        "country": profile.country,
        "current_role": profile.current_role,
        "company": profile.company,
        "industry": profile.industry,
        "linkedin_url": profile.linkedin_url,
        "website_url": profile.website_url,
        "goals": profile.goals or ["meet_peers"],
        "open_to_meet": "on" if profile.open_to_meet else "",
        "discoverable": "on" if profile.discoverable else "",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value != ""}


@pytest.fixture
def world(member_client, stranger_client, django_capture_on_commit_callbacks):
    from allauth.account.models import EmailAddress
    from django.urls import reverse

    from accounts import services as accounts
    from messaging import services as messaging
    from profiles import services as profiles
    from profiles.models import Tag
    from tests.factories import TagFactory, UserFactory, complete_profile, conversation_between

    owner = member_client.profile
    owner.user.email = "olivia-private-q7@example.com"
    owner.user.save(update_fields=["email"])
    EmailAddress.objects.filter(user=owner.user).update(email=owner.user.email)
    owner.display_name = "Olivia Owner"
    owner.save()
    second_email = EmailAddress.objects.create(
        user=owner.user, email="olivia-second-q7@example.com", verified=False, primary=False
    )
    stranger = stranger_client.profile
    partner = complete_profile(display_name="Pat Partner")
    asker = complete_profile(display_name="Ash Asker")
    decliner = complete_profile(display_name="Dee Decliner")
    hidden = complete_profile(display_name="Hana Hidden", headline="private-hidden-q7")
    hidden.discoverable = False
    hidden.save()
    blocker = complete_profile(display_name="Bo Blocker", headline="private-blocker-q7")
    accounts.block_create(blocker=blocker.user, blocked=stranger.user)
    suspended = complete_profile(display_name="Sue Suspended")
    accounts.account_suspend(user=suspended.user)
    newcomer = profiles.profile_ensure(user=UserFactory(email="newcomer-private-q7@example.com"))
    blocked_by_owner = complete_profile(display_name="Ben Blocked")
    accounts.block_create(blocker=owner.user, blocked=blocked_by_owner.user)

    conversation = conversation_between(partner.user, owner.user, text="private-intro-q7")
    partner_message = messaging.message_send(
        conversation=conversation, sender=partner.user, body="private-message-q7 from Pat"
    )
    owner_message = messaging.message_send(
        conversation=conversation, sender=owner.user, body="private-message-q7 from Olivia"
    )
    request = conversation_between(
        asker.user, owner.user, text="private-request-q7", accepted=False
    )
    declined = conversation_between(
        owner.user, decliner.user, text="private-declined-q7", accepted=False
    )
    messaging.conversation_decline(conversation=declined, user=decliner.user)
    report = messaging.report_create(
        reporter=owner.user,
        reported=partner.user,
        message=partner_message,
        reason="spam",
        details="private-report-q7",
    )
    pending_tag = profiles.tag_propose(
        name="Private tag q7", kind=Tag.Kind.INTEREST, user=owner.user
    )
    owner.interests.add(pending_tag)
    approved_tag = owner.interests.filter(status=Tag.Status.APPROVED).first()
    rejected_tag = TagFactory(status=Tag.Status.REJECTED, proposed_by=owner.user)

    from matching import services as matching
    from matching.models import Match, MatchState

    matching.match_save(user=owner.user, candidate=partner.user)
    matching.match_pass(user=owner.user, candidate=asker.user)
    # The owner's suggestions, stored as a recompute would (the engine is tested elsewhere).
    for rank, person in enumerate((partner, asker, decliner, blocked_by_owner), start=1):
        Match.objects.create(
            user=owner.user,
            candidate=person.user,
            rank=rank,
            score=90 - rank,
            similarity=0.5,
            reasons={"interests": [], "values": [], "goals": []},
        )
    MatchState.objects.update_or_create(user=owner.user, defaults={"computed_at": timezone.now()})

    # The hidden person's picture, and the names a timestamp-only scheme would have given it.
    before = timezone.now().replace(microsecond=0)
    profiles.profile_avatar_set(profile=hidden, uploaded=png_upload())
    after = timezone.now()
    guesses, moment = [], before
    while moment <= after:
        guesses.append(f"avatars/{hidden.user_id}/{moment:%Y%m%d%H%M%S}.webp")
        moment += timedelta(seconds=1)

    # The owner changes her picture through the form: the first one must be gone.
    edit = reverse("profiles:edit")
    with django_capture_on_commit_callbacks(execute=True):
        member_client.post(edit, {**profile_form_data(owner), "avatar_upload": png_upload()})
        owner.refresh_from_db()
        replaced = owner.avatar.name
        member_client.post(edit, {**profile_form_data(owner), "avatar_upload": png_upload("b.png")})
    owner.refresh_from_db()
    assert owner.avatar.name and owner.avatar.name != replaced

    return World(
        owner=owner,
        stranger=stranger,
        partner=partner,
        asker=asker,
        decliner=decliner,
        hidden=hidden,
        blocker=blocker,
        suspended=suspended,
        newcomer=newcomer,
        blocked_by_owner=blocked_by_owner,
        conversation=conversation,
        request=request,
        declined=declined,
        partner_message=partner_message,
        owner_message=owner_message,
        report=report,
        pending_tag=pending_tag,
        approved_tag=approved_tag,
        rejected_tag=rejected_tag,
        second_email=second_email,
        hidden_avatar_names=tuple(guesses),
        replaced_avatar=replaced,
    )


@pytest.fixture
def staff_client(db):
    """A logged-in superuser (a moderator) with a complete profile."""
    from django.test import Client

    from tests.factories import complete_profile

    profile = complete_profile(display_name="Mo Moderator")
    profile.user.is_staff = profile.user.is_superuser = True
    profile.user.save(update_fields=["is_staff", "is_superuser"])
    client = Client()
    client.force_login(profile.user)
    client.profile = profile
    return client


def leaks(response):
    """The secrets a response shows (its body; a download counts too)."""
    content = b"".join(response.streaming_content) if response.streaming else response.content
    page = content.decode(errors="replace").lower()
    return [secret for secret in SECRETS if secret in page]
