"""Shapes for the matches page (no database)."""

from matching import presenters


def test_query_string_leaves_out_empty_values():
    assert (
        presenters.query_string({"goal": "hire", "tag": "", "min_score": None, "page": 2})
        == "goal=hire&page=2"
    )
    assert presenters.query_string({"place": "São Paulo & co"}) == "place=S%C3%A3o+Paulo+%26+co"
