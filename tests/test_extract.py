"""What a sentence states: cast pairs and the kind of value a question wants (pure logic)."""

from __future__ import annotations

import pytest

from askshow.extract import cast_pairs, date_key, dates_agree, release_status
from askshow.features import holds, wanted_type
from askshow.query import ShowMatcher, parse_query


@pytest.mark.parametrize(
    ("sentence", "pairs"),
    [
        ("Ben Daniels joins as Círdan the Shipwright.", [("Círdan", "Ben Daniels")]),
        ("Sam Hazeldine takes over as Adar from Joseph Mawle.", [("Adar", "Sam Hazeldine")]),
        ("Kim Sung-cheol has been cast as Jung Jin-soo.", [("Jung Jin-soo", "Kim Sung-cheol")]),
        ("Alan Ritchson returns as Jack Reacher, of course.", [("Jack Reacher", "Alan Ritchson")]),
        ("Eleven (Millie Bobby Brown) is back.", [("Eleven", "Millie Bobby Brown")]),
        ("Netflix announced it as Part 2 in March.", []),  # no actor's name before "as"
        ("The Rings of Power returns as Amazon's biggest show.", []),
        # a cast list line, "Actor – Role, description"
        ("Daniel Diemer – Tyson, Percy's cyclops half-brother", [("Tyson", "Daniel Diemer")]),
        ("Jasmin Savoy Brown – teen Taissa", [("Taissa", "Jasmin Savoy Brown")]),
        ("December 17, 2025 – Season 2 premieres", []),
        # a credit after a full name is not a role
        ("In March Ciarán Hinds (Belfast) and Rory Kinnear were added.", []),
    ],
)
def test_cast_pairs(sentence: str, pairs: list[tuple[str, str]]) -> None:
    assert [(p.character, p.actor) for p in cast_pairs(sentence)] == pairs


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("where is reacher season 3 set", "place"),
        ("where can i watch reacher", "platform"),
        ("who plays paulie", "person"),
        ("what time does it drop", "clock"),
        ("how many episodes in season 2", "number"),
        ("when does it come out", "date"),
    ],
)
def test_the_kind_of_value_a_question_wants(question: str, kind: str) -> None:
    query = parse_query(question, ShowMatcher({}, {}))
    assert wanted_type(query) == kind


def test_a_place_or_person_is_a_capitalised_name_after_the_first_word() -> None:
    assert holds("place", "The season moves to the coast of Maine.")
    assert not holds("place", "The season moves somewhere colder.")
    assert holds("clock", "Episodes go live at 3 a.m. on the East Coast.")


def test_dates_are_compared_as_dates() -> None:
    assert date_key("Nov. 26, 2025") == date_key("26 November 2025") == date_key("2025-11-26")
    assert date_key("November 2025") == (2025, 11, None)
    assert date_key("summer 2025") == "summer 2025"  # a season of the year stays as written
    assert dates_agree(["26 November 2025", "November 2025"], ["Nov. 26, 2025"])
    assert not dates_agree(["December 3, 2025"], ["Nov. 26, 2025"])
    assert not dates_agree(["fall 2025"], ["summer 2025"])


def test_a_plainly_stated_date_is_a_claim_and_a_hedged_one_a_guess() -> None:
    assert release_status("Part 2 follows on November 7, 2024, with the last five episodes.") == (
        "confirmed_date"
    )
    assert release_status("Part 2 could follow on November 7, 2024.") == "speculative"


def test_a_count_is_not_the_digits_of_a_date() -> None:
    assert holds("number", "Season 2 has ten episodes.")
    assert not holds("number", "Season 2 premiered on January 16, 2026, in Japan.")


@pytest.mark.parametrize(
    ("sentence", "status"),
    [
        ("Netflix renews Ginny & Georgia for seasons 3 and 4 at once.", "renewed"),
        ("The show was renewed for a third season in March.", "renewed"),
        ("Apple has not renewed the show yet.", "not_renewed"),
    ],
)
def test_renewal_in_any_tense_is_a_status(sentence: str, status: str) -> None:
    assert release_status(sentence) == status


def test_days_are_ordered_as_dates_and_a_day_without_a_year_borrows_one() -> None:
    from askshow.extract import day_ordinals

    [premiere] = day_ordinals("Season 3 premieres on Friday, July 11, 2025.")
    [finale] = day_ordinals("New chapters every Friday, wrapping up on September 12.", "in 2025")
    assert premiere < finale
    assert day_ordinals("Sometime in 2026, we hope.") == []
