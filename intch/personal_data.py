"""What intch holds about a person, what their data export shows and what deleting them does.

Every foreign key to the user model is one `Holding`: the rows that refer to a person through
it are either in the export (`section`) or left out with a reason (`not_exported`), and on
account deletion they are deleted with the account or kept anonymised (`kept` says what stays
and why; the delete page shows it to whoever has such rows).

This module knows no app: each app declares its own tables, export sections and erasers in its
AppConfig.ready(). The export page writes every section in the order they were declared; the
account deletion runs every eraser inside its transaction, before the account's row goes (the
database's ON DELETE rules do the rest). tests/security/test_personal_data.py walks every model
with a foreign key to the user model and fails for one that nobody declared.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.apps import apps

DELETED = "deleted"
ANONYMISED = "anonymised"


@dataclass(frozen=True)
class Holding:
    # "app_label.Model.field": a foreign key (or one-to-one) to the user model.
    field: str
    # The export section that holds these rows, or "" with `not_exported` saying why not.
    section: str = ""
    not_exported: str = ""
    # True when the section (a list) has exactly one entry per row; a dict section is one row.
    per_row: bool = True
    deletion: str = DELETED
    # ANONYMISED: what stays after the deletion and why, as the delete page says it.
    kept: str = ""
    # ANONYMISED: which of the rows stay (a filter; empty: all of them); the rest are deleted.
    kept_where: tuple[tuple[str, Any], ...] = ()
    # ANONYMISED: the fields an eraser empties on the rows that stay.
    erased: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if bool(self.section) == bool(self.not_exported):
            raise ValueError(f"{self.field}: give an export section or say why it is not exported")
        if self.deletion not in (DELETED, ANONYMISED):
            raise ValueError(f"{self.field}: deletion is DELETED or ANONYMISED")
        if (self.deletion == ANONYMISED) != bool(self.kept):
            raise ValueError(f"{self.field}: anonymised rows need a `kept` text, deleted none")

    @property
    def model_label(self) -> str:
        return self.field.rsplit(".", 1)[0]

    @property
    def field_name(self) -> str:
        return self.field.rsplit(".", 1)[1]


_holdings: dict[str, Holding] = {}
_sections: dict[str, Callable[..., Any]] = {}
_erasers: list[Callable[..., None]] = []


def declare(*holdings: Holding) -> None:
    """Declare how some tables that refer to a person are exported and deleted."""
    for holding in holdings:
        if holding.field in _holdings and _holdings[holding.field] != holding:
            raise ValueError(f"{holding.field} is declared twice")
        _holdings[holding.field] = holding


def register_section(name: str, exporter: Callable[..., Any]) -> None:
    """`exporter(user=...)` returns the section `name` of a person's export (plain data)."""
    if _sections.get(name, exporter) is not exporter:
        raise ValueError(f"the export section {name!r} is registered twice")
    _sections[name] = exporter


def register_eraser(eraser: Callable[..., None]) -> None:
    """`eraser(user=...)` deletes or anonymises rows before the person's account is deleted."""
    if eraser not in _erasers:
        _erasers.append(eraser)


def holdings() -> dict[str, Holding]:
    """Every declared holding, by its field ("app_label.Model.field")."""
    return dict(_holdings)


def export(*, user: Any) -> dict[str, Any]:
    """Everything intch holds about a person, section by section, as plain data for JSON."""
    return {name: exporter(user=user) for name, exporter in _sections.items()}


def erase(*, user: Any) -> None:
    """Run every eraser for a person whose account is about to be deleted (in its transaction)."""
    for eraser in _erasers:
        eraser(user=user)


def kept_after_deletion(*, user: Any) -> list[str]:
    """What deleting this person's account keeps, and why: one sentence per kind of row."""
    kept = []
    for holding in _holdings.values():
        if holding.deletion != ANONYMISED or holding.kept in kept:
            continue
        model = apps.get_model(holding.model_label)
        rows = model._default_manager.filter(
            **{holding.field_name: user}, **dict(holding.kept_where)
        )
        if rows.exists():
            kept.append(holding.kept)
    return kept
