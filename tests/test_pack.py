"""The default pack pins the article's facts, and every row traces to the article's words."""

from __future__ import annotations

import datetime as dt
import itertools
import math
import re
from collections.abc import Iterator

import polars as pl

from tests.conftest import ROOT
from toolkit.pack.load import Pack
from toolkit.pack.safe_yaml import read_yaml
from toolkit.pack.schema import SCHEMAS
from toolkit.track.questions import load_questions

STATES = {
    "South Korea",
    "United States",
    "Japan",
    "North Korea",
    "Russia",
    "Ukraine",
    "China",
    "Poland",
}


def rows(frame: pl.DataFrame, **where: object) -> list[dict]:
    for column, value in where.items():
        frame = frame.filter(pl.col(column) == value)
    return frame.to_dicts()


def test_every_frame_has_its_declared_schema(pack: Pack) -> None:
    assert set(pack.frames) == set(SCHEMAS)
    for name, columns in SCHEMAS.items():
        assert pack.frames[name].columns == [c for c, _, _ in columns], name


def test_article_is_byte_exact_and_residue_is_not_article(pack: Pack) -> None:
    raw = (pack.path / "article.txt").read_bytes().decode("utf-8")
    assert pack.raw_text == raw
    assert pack.residue.strip() == "Most Commented"
    assert pack.text.startswith("Top security officials from South Korea")
    assert "Most Commented" not in pack.text


def test_states_and_people_with_titles(pack: Pack) -> None:
    states = pack.entities.filter(pl.col("kind") == "state")
    assert {name.split(" (")[0] for name in states["name"]} == STATES
    people = {r["name"]: r for r in rows(pack.entities, kind="person")}
    assert "National Security Advisor" in people["Shin Won Sik"]["title"]
    assert people["Shin Won Sik"]["affiliation"] == "south_korea"
    assert people["Jake Sullivan"]["title"] == "U.S. National Security Advisor"
    assert "Japan" in people["Akiba Takeo"]["title"]
    assert "President" in people["Yoon Suk Yeol"]["title"]
    assert "Polish President" in people["Andrzej Duda"]["title"]
    assert any("official" in name.lower() for name in people)


def test_every_entity_is_mentioned_and_mentions_point_at_their_alias(pack: Pack) -> None:
    assert pack.entities["mention_count"].min() >= 1  # type: ignore[operator]
    for m in pack.mentions.iter_rows(named=True):
        assert pack.text[m["start"] : m["end"]] == m["alias"]
        assert m["sentence"].startswith("s")
    counts = pack.mentions.group_by("entity").len()
    assert dict(counts.iter_rows())["north_korea"] >= 10


def test_every_quote_is_verbatim_at_its_span(pack: Pack) -> None:
    evidence = pack.sources.filter(pl.col("kind") == "evidence")
    assert evidence.height > 50
    for s in evidence.iter_rows(named=True):
        assert pack.text[s["start"] : s["end"]] == s["text"], s["record"]
    assumptions = pack.sources.filter(pl.col("kind") == "assumption")
    assert assumptions["start"].null_count() == assumptions.height


def test_technologies_and_tiers(pack: Pack) -> None:
    assert list(pack.enums["tech_tier"].categories) == ["conventional", "strategic"]
    tiers = dict(pack.technologies.select("id", pl.col("tier").cast(pl.String)).iter_rows())
    assert tiers == {
        "satellite": "strategic",
        "nuclear": "strategic",
        "icbm": "strategic",
        "conventional_strategy": "conventional",
        "air_defence": "conventional",
        "aircraft": "conventional",
    }


def test_deployment_ladder_order(pack: Pack) -> None:
    order = list(pack.enums["phase"].categories)
    assert order[:2] == ["adaptation_training", "westward_movement"]
    assert set(order[2:4]) == {"rear_support", "frontline_combat"}
    assert order.index("rear_support") < order.index("frontline_combat")
    esc = dict(pack.phases.select(pl.col("id").cast(pl.String), "escalation").iter_rows())
    assert esc["adaptation_training"] < esc["westward_movement"] < esc["frontline_combat"]
    assert esc["rear_support"] < esc["frontline_combat"]
    training = rows(
        pack.phases.with_columns(pl.col("id").cast(pl.String)), id="adaptation_training"
    )[0]
    assert "adaptation training in eastern Russia" in (training["evidence"] or "")


def test_lethal_weapons_need_actual_combat_and_troops_are_ruled_out(pack: Pack) -> None:
    tiers = pack.response_tiers.with_columns(pl.col("id").cast(pl.String))
    status = dict(tiers.select("id", pl.col("status").cast(pl.String)).iter_rows())
    assert status["personnel_troops"] == "ruled_out"
    assert status["lethal_weapons"] == "considered"
    order = list(pack.enums["response_tier"].categories)
    assert order.index("diplomatic_pressure") < order.index("lethal_weapons")
    lethal = pack.triggers.filter(pl.col("tier") == "lethal_weapons")
    assert "frontline_combat" in set(lethal["target"].to_list())
    assert set(lethal["kind"].cast(pl.String)) <= {"phase_at_least", "reached"}
    assert pack.triggers.filter(pl.col("tier") == "personnel_troops").height == 0
    claim = rows(pack.claims, id="c_lethal_if_combat")[0]
    assert claim["evidence"].endswith("if North Korean troops engage in actual combat in Ukraine.")
    ruled = rows(pack.claims, id="c_lethal_not_on_table")[0]
    assert "lethal weapons, personnel, or troops" in ruled["evidence"]


def test_icd_203_yardstick(pack: Pack) -> None:
    bands = {
        r["id"]: (r["low"], r["high"])
        for r in pack.yardstick.with_columns(pl.col("id").cast(pl.String)).iter_rows(named=True)
    }
    assert bands == {
        "almost_no_chance": (0.01, 0.05),
        "very_unlikely": (0.05, 0.20),
        "unlikely": (0.20, 0.45),
        "roughly_even_chance": (0.45, 0.55),
        "likely": (0.55, 0.80),
        "very_likely": (0.80, 0.95),
        "almost_certain": (0.95, 0.99),
    }
    assert list(pack.enums["band"].categories) == list(bands)


def test_estimative_words_are_on_the_yardstick_or_flagged_vague(pack: Pack) -> None:
    phrases = {r["phrase"]: r for r in pack.phrases.iter_rows(named=True)}
    assert phrases["likely"]["on_yardstick"]
    assert phrases["likely"]["band"] == "likely"
    for word in ("may", "could", "might", "inevitable", "potentially"):
        assert phrases[word]["vague"], word
        assert phrases[word]["rationale"]
    claims = {r["id"]: r for r in pack.claims.iter_rows(named=True)}
    assert claims["c_linked_to_agreement"]["band"] == "likely"
    assert claims["c_compensation_inevitable"]["vague"]
    assert claims["c_compensation_sensitive"]["phrase"] == "could"
    assert claims["c_support_in_stages"]["phrase"] is None


def test_events_resolve_dates_with_precision_and_notes(pack: Pack) -> None:
    events = pack.events
    by_date = {r["date"]: r for r in events.iter_rows(named=True)}
    meeting = by_date[dt.date(2024, 10, 25)]
    assert meeting["precision"] == "day"
    assert "Saturday" in meeting["date_note"]
    assert dt.date(2024, 10, 24) in by_date
    june = [r for r in events.iter_rows(named=True) if r["date"].month == 6]
    assert june
    assert june[0]["precision"] in {"month", "span"}
    assert events["cameo"].null_count() == 0
    assert events["plover"].null_count() == 0
    assert pack.gdelt.height == events.height
    assert set(pack.gdelt["Actor1Code"].drop_nulls()) & {"KOR", "KORGOV", "USA", "USAGOV"}


def test_parameters_are_sourced_or_assumed_and_in_range(pack: Pack) -> None:
    params = pack.parameters
    assert params.filter(pl.col("claim").is_null() & pl.col("assumption").is_null()).height == 0
    for p in params.iter_rows(named=True):
        assert p["min"] <= p["value"] <= p["max"], p["id"]
        if p["low"] is not None:
            assert p["min"] <= p["low"] <= p["high"] <= p["max"], p["id"]
        if p["unit"].startswith("probability"):
            assert 0 <= p["value"] <= 1


def test_scenarios_start_with_baseline_and_override_known_parameters(pack: Pack) -> None:
    assert pack.scenarios["id"][0] == "baseline"
    assert pack.scenarios.height >= 4
    assert set(pack.overrides["parameter"]) <= set(pack.parameters["id"])


def test_relations_cover_the_article_core(pack: Pack) -> None:
    predicates = set(pack.relations["predicate"])
    assert {"meets", "urges-to-halt"} <= predicates
    assert any("transfer" in p for p in predicates)
    assert any("lethal" in p for p in predicates)


def test_inferred_parties_and_the_troops_reading_are_labelled_assumptions(pack: Pack) -> None:
    """The June agreement's parties are the analyst's inference, and so is reading "have not
    progressed to the point of ... personnel, or troops" as ruling them out: each row keeps its quote
    and carries an assumption, logged among the pack's sources."""
    inferred = pack.relations.filter(pl.col("assumption").is_not_null())
    assert set(inferred["id"]) == {
        "r_russia_party_to_agreement",
        "r_north_korea_party_to_agreement",
    }
    assert inferred["evidence"].is_not_null().all()
    assert set(inferred["object"]) == {"june_agreement"}
    troops = rows(
        pack.response_tiers.with_columns(pl.col("id").cast(pl.String)), id="personnel_troops"
    )
    assert troops[0]["evidence"].startswith("Discussions have not progressed")
    assert "analyst's choice" in troops[0]["assumption"]
    assumed = pack.sources.filter(pl.col("kind") == "assumption")
    records = set(zip(assumed["file"], assumed["record"], strict=True))
    assert ("relations.yaml", "r_russia_party_to_agreement") in records
    assert ("responses.yaml", "personnel_troops") in records


# ---- the pack's prose says what the figures and the article say (found in a bug hunt) -----------


def free_texts(pack: Pack) -> Iterator[tuple[str, str]]:
    """(where, text) of every string in the pack's YAML files but the quotes themselves (`evidence`)
    and the grading table (admiralty.yaml quotes no article): what the report shows as prose."""
    for path in sorted(pack.path.glob("*.yaml")):
        if path.name != "admiralty.yaml":
            yield from _strings(read_yaml(path), path.name)


def _strings(node: object, where: str) -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key != "evidence":
                yield from _strings(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _strings(value, f"{where}/{i}")
    elif isinstance(node, str):
        yield where, " ".join(node.split())


def plain(text: str) -> str:
    """Case and apostrophe style aside (the pack's prose writes ' where the article has ’)."""
    return " ".join(text.replace("’", "'").split()).lower()


def test_every_phrase_the_prose_quotes_is_the_articles(pack: Pack) -> None:
    """Found in a bug hunt: the prose quotes the article's words beside its own readings, and
    `toolkit validate` checks only the `evidence` fields; a quote in a description or rationale must
    be the article's words too (a "..." may join two pieces of one quote)."""
    article = plain(pack.text)
    for where, text in free_texts(pack):
        for quote in re.findall(r'"([^"]+)"', text):
            for piece in filter(None, (p.strip() for p in quote.split("..."))):
                assert plain(piece) in article, (where, quote)


def test_a_rate_rationale_quotes_the_rates_shown_beside_it(pack: Pack) -> None:
    """Found in a bug hunt: two rate rationales quoted the monthly probabilities the rates were
    converted from ("0.35 per month" beside a rate of 0.43, "Together 0.40" beside 0.22 + 0.22) and one
    a yearly chance that was not the rate's; the report, `toolkit params --details` and the explorer
    show the rationale beside the rate. Every "N per month" in a rate's rationale is its value, a band
    bound or a sum of rates out of the same phase; every median stay is ln 2 over the phase's rates
    out; every "about N% a year" is 1 - exp(-12 rate)."""
    value = dict(pack.parameters.select("id", "value").iter_rows())
    out: dict[str, list[float]] = {}
    source: dict[str, str] = {}
    for phase, parameter in pack.transitions.select(
        pl.col("from_phase").cast(pl.String), "parameter"
    ).iter_rows():
        out.setdefault(phase, []).append(value[parameter])
        source[parameter] = phase
    rates = pack.parameters.filter(pl.col("unit") == "rate/month").iter_rows(named=True)
    for p in rates:
        text = " ".join((p["assumption"] or "").split())
        ways = out[source[p["id"]]]
        sums = {
            round(sum(c), 2)
            for n in range(2, len(ways) + 1)
            for c in itertools.combinations(ways, n)
        }
        allowed = {p["value"], p["low"], p["high"]} | sums
        for figure in re.findall(r"(\d+(?:\.\d+)?) per month", text):
            assert float(figure) in allowed, (p["id"], figure)
        for median in re.findall(r"median (?:stay )?of about (\d+(?:\.\d+)?) months", text):
            assert abs(float(median) - math.log(2) / sum(ways)) < 0.06, (p["id"], median)
        for share in re.findall(r"about (\d+)% a year", text):
            assert int(share) == round(100 * (1 - math.exp(-12 * p["value"]))), (p["id"], share)


def test_a_persons_name_and_title_say_only_what_its_quote_says(pack: Pack) -> None:
    """Found in a bug hunt: the unnamed official was named "(Presidential Office)" and titled "senior
    official from the Presidential Office", though the article says so of only some of the statements
    the pack merges into this one person (the Washington briefing's official is "a senior South
    Korean official"); the report printed the affiliation beside every claim as the article's."""
    for person in rows(pack.entities, kind="person"):
        quote = plain(person["evidence"])
        assert person["title"] is None or plain(person["title"]) in quote, person["id"]
        for aside in re.findall(r"\(([^)]+)\)", person["name"]):
            assert plain(aside) in quote, (person["id"], aside)


def test_the_prose_quotes_the_article_within_its_scope(pack: Pack) -> None:
    """Found in a bug hunt: the summary dropped "in Ukraine" from Seoul's condition, added "only" and
    said personnel or troops were "not under discussion"; "not on the table" was quoted without
    "immediate provision" as the ground for lethal weapons never being decided; "facing deficiencies"
    was made specific to air defence; and the strategic-transfer preset read "likely" (what
    compensation is linked to) as the chance of a transfer."""
    summary = plain(pack.meta.summary)
    assert "actual combat in ukraine" in summary
    assert " only " not in summary
    assert "not under discussion" not in summary
    for where, text in free_texts(pack):
        said = plain(text)
        for at in (m.start() for m in re.finditer("not on the table", said)):
            assert said[:at].endswith("immediate provision of lethal weapons is "), where
        assert not re.search(r'facing deficiencies"? (there|in air defen)', said), where
    preset = rows(pack.scenarios, id="strategic_transfer")[0]["description"]
    assert 'moved to the "likely" range' not in preset
    assert "not how likely" in preset


def test_a_question_on_combat_on_russian_soil_says_so(pack: Pack) -> None:
    """Found in a bug hunt: "reach frontline combat" was the question's text while its event is the
    phase `frontline_combat`, combat on Russian soil only (a path straight into combat in Ukraine
    counts "no"), so a resolver reading the words would resolve it otherwise than the model forecast
    it. The same in the tracker's illustrative questions."""
    label = dict(pack.phases.select(pl.col("id").cast(pl.String), "label").iter_rows())
    fixture = ROOT / "tests" / "fixtures" / "tracker" / "questions.yaml"
    for question in [*load_questions(pack), *load_questions(pack, fixture)]:
        if question.kind == "reached" and question.target == "frontline_combat":
            assert plain(label[question.target]) in plain(question.text), question.id
