import pytest

from tests.factories import TagFactory, complete_profile


@pytest.fixture
def climbing_and_climate(db):
    """“Climbing” is shorter, but more people are into Climate tech."""
    climbing = TagFactory(name="Climbing")
    climate = TagFactory(name="Climate tech")
    for _ in range(3):
        complete_profile(interests=[climate, *TagFactory.create_batch(2)])
    complete_profile(interests=[climbing, *TagFactory.create_batch(2)])
    hidden = complete_profile(interests=[climbing, *TagFactory.create_batch(2)])
    hidden.discoverable = False
    hidden.save()
    return climbing, climate
