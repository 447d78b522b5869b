"""Pack ids in words for the reader's text (issue 14): `toolkit.pack.names`."""

from __future__ import annotations

from toolkit.pack.load import Pack
from toolkit.pack.names import humanise, in_words, names, snake_ids


def test_every_id_has_words_from_its_label_or_name(pack: Pack) -> None:
    words = names(pack)
    assert words["frontline_combat"] == "Combat on Russian soil"  # a phase's label
    assert words["air_defence"] == "Air defence capabilities"  # a technology's name
    assert words["roughly_even_chance"] == "roughly even chance"  # a yardstick band
    assert words["lethal_never"] == "Lethal weapons, never decided"  # a parameter's label
    assert words["i_further_arrivals"] == "further arrivals"  # no label: the id made readable
    for frame in ("phases", "response_tiers", "claims", "indicators", "parameters", "entities"):
        assert set(pack.frames[frame]["id"].cast(str)) <= words.keys(), frame
    assert all("_" in i for i in snake_ids(pack))
    assert "c_may_receive_strategic" in snake_ids(pack)


def test_ids_in_free_text_read_as_words(pack: Pack) -> None:
    words = names(pack)
    text = "combat on Russian soil (frontline_combat) does not meet it; see lethal_never."
    assert in_words(text, words) == (
        "combat on Russian soil (“Combat on Russian soil”) does not meet it; "
        "see “Lethal weapons, never decided”."
    )
    # only whole ids: a longer word, an unknown id and plain words stay as they are
    assert in_words("frontline_combat_x rate_*_to_withdrawal no_such_id", words) == (
        "frontline_combat_x rate_*_to_withdrawal no_such_id"
    )
    assert in_words("no underscore here", words) == "no underscore here"


def test_humanise() -> None:
    assert humanise("i_further_arrivals") == "further arrivals"
    assert humanise("c_may_receive_strategic") == "may receive strategic"
    assert humanise("lethal_weapons") == "lethal weapons"
