"""docs/architecture.md stays true to the code: every event, every cache family and every app's
place in the layers is written down, and the import contract covers every app of intch."""

import tomllib
from pathlib import Path

from django.apps import apps
from django.conf import settings

from intch import caches, events

ROOT = Path(settings.BASE_DIR)
DOC = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")


def test_every_event_and_every_cache_family_is_in_the_map():
    missing = [event.__name__ for event in events.event_types() if f"`{event.__name__}" not in DOC]
    missing += [family.name for family in caches.families() if f"`{family.name}`" not in DOC]
    assert missing == []


def test_the_layers_contract_covers_every_app_of_intch():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    (contract,) = config["tool"]["importlinter"]["contracts"]
    own = [app.name for app in apps.get_app_configs() if Path(app.path).parent == ROOT]
    assert sorted(contract["layers"]) == sorted(own)
    # Lowest first in INSTALLED_APPS, highest first in the contract.
    assert contract["layers"] == list(reversed(own))
    for app in own:
        assert f"`{app}`" in DOC
