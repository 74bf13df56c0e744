"""factory_boy factories for people, tags and matches."""

import factory
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.utils.text import slugify

from matching.models import Match
from profiles.goals import goals_to_bits
from profiles.models import Category, Profile, Tag
from profiles.services import profile_search_refresh

PASSWORD = "a-long-test-password-42"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def verified_email(self, create, extracted, **kwargs):
        if create:
            self.save()
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag

    name = factory.Sequence(lambda n: f"Topic {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))
    kind = Tag.Kind.INTEREST
    status = Tag.Status.APPROVED
    category = factory.SubFactory(CategoryFactory, name="Technology")


class ProfileFactory(factory.django.DjangoModelFactory):
    """An onboarded, discoverable person. Pass interests=[...], values=[...], goals=[...]."""

    class Meta:
        model = Profile
        django_get_or_create = ("user",)
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    display_name = factory.Faker("name")
    headline = factory.Faker("job")
    city = factory.Faker("city")
    country = "Netherlands"
    onboarded_at = factory.Faker("date_time_this_year", tzinfo=__import__("datetime").UTC)
    goal_bits = factory.LazyFunction(lambda: goals_to_bits(["meet_peers"]))

    @factory.post_generation
    def interests(self, create, extracted, **kwargs):
        if create and extracted is not None:
            self.interests.set(extracted)

    @factory.post_generation
    def values(self, create, extracted, **kwargs):
        if create and extracted is not None:
            self.values.set(extracted)

    @factory.post_generation
    def goals(self, create, extracted, **kwargs):
        if create and extracted is not None:
            self.goal_bits = goals_to_bits(extracted)
            self.save(update_fields=["goal_bits"])

    @factory.post_generation
    def search_document(self, create, extracted, **kwargs):
        """Findable in people search, as the services would make them."""
        if create:
            profile_search_refresh(profile_ids=[self.pk])


class MatchFactory(factory.django.DjangoModelFactory):
    """`candidate` suggested to `user` (both users). Pass reasons={...} for what they share."""

    class Meta:
        model = Match

    user = factory.SubFactory(UserFactory)
    candidate = factory.SubFactory(UserFactory)
    rank = factory.Sequence(lambda n: n + 1)
    score = 50
    similarity = 0.5
    reasons = factory.LazyFunction(lambda: {"interests": [], "values": [], "goals": []})


def complete_profile(**kwargs):
    """A person with the minimum for matching: 3 interests, 1 value, 1 goal."""
    interests = kwargs.pop("interests", None) or TagFactory.create_batch(3)
    values = kwargs.pop("values", None) or [TagFactory(kind=Tag.Kind.VALUE)]
    return ProfileFactory(interests=interests, values=values, **kwargs)


def conversation_between(sender, recipient, *, text="Hello! We share a lot.", accepted=True):
    """A conversation started by `sender` (users), accepted by `recipient` unless told not to."""
    from messaging import services

    message = services.conversation_start(sender=sender, recipient=recipient, text=text)
    conversation = message.conversation
    if accepted:
        services.conversation_accept(conversation=conversation, user=recipient)
        conversation.refresh_from_db()
    return conversation
