"""`[keymap]` validation: unknown binding ids are errors with did-you-mean, keys that hide another
binding of the same place are warnings; `aztui profiles validate` reports both."""

from __future__ import annotations

import textwrap
from pathlib import Path

from aztui.profiles.file import parse_profiles_text
from aztui.profiles.keymap import key_name

FILE = Path("/tmp/profiles.toml")
PROFILE = '\n[profiles.a]\nconnection_string = "UseDevelopmentStorage=true"\n'


def parse(keymap: str):
    return parse_profiles_text("[keymap]\n" + textwrap.dedent(keymap) + PROFILE, FILE, {})


def test_an_unknown_binding_id_is_an_error_with_file_key_line_and_the_nearest_id():
    ps = parse('cursor-dwn = "n"\nopen = "O"\n')
    [error] = ps.errors
    assert (error.file, error.line, error.key) == (FILE, 2, "keymap.cursor-dwn")
    assert "did you mean `cursor-down`?" in error.message
    assert not ps.warnings


def test_a_key_that_hides_another_binding_of_the_same_place_is_a_warning():
    ps = parse('search = "/"\n')
    assert not ps.errors
    [warning] = ps.warnings
    assert warning.key == "keymap.search" and warning.line == 2
    assert "`filter`" in warning.message and "Containers pane" in warning.message


def test_a_key_free_in_its_places_or_only_taken_in_another_place_passes():
    # `d` is download in the blob details, a screen of its own: no clash with the panes
    ps = parse('delete = "d"\nrefresh = "ctrl+r"\ncursor-down = "ctrl+n"\n')
    assert not ps.problems


def test_a_list_key_against_a_pane_key_and_an_everywhere_key_against_a_pane_key_are_warned():
    ps = parse('cursor-down = "n"\nprofiles = "o"\n')
    messages = sorted(w.message for w in ps.warnings)
    assert any("`sort-name`" in m for m in messages) and any("`cache-orphans` in the Cache pane" in m
                                                                for m in messages), messages


def test_keys_are_compared_by_textual_names():
    assert [key_name(k) for k in ("/", "?", "+", "-", "*", " ", "ctrl+x", "G")] == [
        "slash", "question_mark", "plus", "minus", "asterisk", "space", "ctrl+x", "G"]
