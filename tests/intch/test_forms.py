"""Long text boxes never cut what people paste, and say by how much a text is too long."""

from django import forms

from intch.forms import LongTextField


class NoteForm(forms.Form):
    note = LongTextField(max_length=10)


def test_the_box_has_no_maxlength_for_browsers_to_cut_a_paste_with():
    html = str(NoteForm()["note"])

    assert 'data-maxlength="10"' in html
    assert " maxlength=" not in html
    assert html.startswith("<textarea")


def test_a_text_too_long_is_refused_with_how_much_to_cut_and_kept_whole():
    pasted = "A" * 14 + " and the rest"
    form = NoteForm({"note": pasted})

    assert not form.is_valid()
    assert form.errors["note"] == [
        "This is 27 characters long and the limit is 10: please shorten it by 17 characters."
    ]
    assert f">\n{pasted}</textarea>" in str(form["note"])


def test_line_breaks_count_once_as_the_browser_counts_them():
    # Browsers send CR LF for a line break but their counter (and intch.js) counts one.
    form = NoteForm({"note": "one\r\ntwo\r\nsi"})  # 12 characters sent, 10 typed

    assert form.is_valid()
    assert form.cleaned_data["note"] == "one\ntwo\nsi"


def test_an_emoji_is_one_character():
    assert NoteForm({"note": "🙂" * 10}).is_valid()
    assert "by 1 character." in NoteForm({"note": "🙂" * 11}).errors["note"][0]
