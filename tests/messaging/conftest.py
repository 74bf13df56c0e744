import pytest

from tests.factories import complete_profile


@pytest.fixture
def alice(db):
    return complete_profile(display_name="Alice Archer").user


@pytest.fixture
def bob(db):
    return complete_profile(display_name="Bob Baker").user
