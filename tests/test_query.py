"""Understanding questions: fuzzy show names, seasons and intents, as fans type them."""

from __future__ import annotations

import pytest

from askshow.query import ShowMatcher, could_name, parse_query, title_words

SHOWS = [
    "All of Us Are Dead", "Stranger Things", "Wednesday", "The Bear", "The Last of Us",
    "Frieren: Beyond Journey's End", "Ginny & Georgia", "Spy x Family", "Severance",
    "Only Murders in the Building", "Emily in Paris", "The Witcher", "The Rings of Power", "Shōgun",
]  # fmt: skip
MATCHER = ShowMatcher(SHOWS)

CASES = [
    # question, show, season, intent
    ("when does all of us r dead season 2 come out?", "All of Us Are Dead", 2, "release"),
    ("When will All of Us Are Dead season 2 be released?", "All of Us Are Dead", 2, "release"),
    ("aouad s2 release date", "All of Us Are Dead", 2, "release"),
    ("ALL OF US ARE DEAD SEASON TWO PREMIERE", "All of Us Are Dead", 2, "release"),
    ("is all of us are dead renewed", "All of Us Are Dead", None, "release"),
    ("has all of us are dead been cancelled?", "All of Us Are Dead", None, "release"),
    ("who plays on-jo in all of us are dead", "All of Us Are Dead", None, "cast"),
    ("all of us are dead 2nd season cast", "All of Us Are Dead", 2, "cast"),
    ("what happens in the second season of all of us are dead", "All of Us Are Dead", 2, "plot"),
    ("strnager things season 5 release date", "Stranger Things", 5, "release"),
    ("when is stranger things s5 out", "Stranger Things", 5, "release"),
    ("who plays eleven in stranger things", "Stranger Things", None, "cast"),
    ("stranger things 5 plot", "Stranger Things", 5, "plot"),
    ("how does stranger things end", "Stranger Things", None, "plot"),
    ("wensday season 2 cast", "Wednesday", 2, "cast"),
    ("when does wednesday season 2 come out", "Wednesday", 2, "release"),
    ("is wednesday coming back for season 2", "Wednesday", 2, "release"),
    ("who does jenna ortega play in wednesday", "Wednesday", None, "cast"),
    ("whats the story of the bear season 4", "The Bear", 4, "plot"),
    ("the bear s4 premiere date", "The Bear", 4, "release"),
    ("who stars in the bear", "The Bear", None, "cast"),
    ("is the last of us coming back", "The Last of Us", None, "release"),
    ("who is returning for tlou 2", "The Last of Us", 2, "cast"),
    ("last of us season two where does it take place", "The Last of Us", 2, "plot"),
    ("is frieren getting a second season", "Frieren: Beyond Journey's End", 2, "release"),
    ("frieren season 2 story", "Frieren: Beyond Journey's End", 2, "plot"),
    ("ginny and georgia 3 when", "Ginny & Georgia", 3, "release"),
    ("rop s2 cast", "The Rings of Power", 2, "cast"),
    ("when is strangerthings 5 out", "Stranger Things", 5, "release"),
    ("shogun 2 release date", "Shōgun", 2, "release"),
    ("ginny & georgia season 3 cast list", "Ginny & Georgia", 3, "cast"),
    ("spy family season 3 air date", "Spy x Family", 3, "release"),
    ("severence season 2 what happens", "Severance", 2, "plot"),
    ("who plays mark in severance", "Severance", None, "cast"),
    ("only murders in the building s5 release", "Only Murders in the Building", 5, "release"),
    ("omitb season 5 cast", "Only Murders in the Building", 5, "cast"),
    ("emily in pari season 5 plot", "Emily in Paris", 5, "plot"),
    ("the witcher season 4 who replaces henry cavill", "The Witcher", 4, "cast"),
    ("witcher 4th season release", "The Witcher", 4, "release"),
    ("When is Squid Game season 2 out?", None, 2, "release"),
    ("When does The Glass Orchard season 4 come out?", None, 4, "release"),
    ("who plays nam-ra", None, None, "cast"),
    ("tell me about the best show ever", None, None, "plot"),
    ("when does it come out", None, None, "release"),
    ("all of us are dead", "All of Us Are Dead", None, "other"),
]


@pytest.mark.parametrize(("question", "show", "season", "intent"), CASES)
def test_parse_query(question: str, show: str | None, season: int | None, intent: str) -> None:
    query = parse_query(question, MATCHER)
    assert (query.show, query.season, query.intent) == (show, season, intent)


def test_editor_aliases_are_matched_exactly() -> None:
    matcher = ShowMatcher(["Outer Banks", "Jujutsu Kaisen"], {"Jujutsu Kaisen": {"JJK"}})
    assert parse_query("jjk season 3 story", matcher).show == "Jujutsu Kaisen"
    assert parse_query("jjj season 3 story", matcher).show is None


def test_close_name_is_suggested_not_matched() -> None:
    query = parse_query("when does all of them are dead come out", MATCHER)
    assert query.show is None
    assert query.suggestion == "All of Us Are Dead"


def test_show_given_by_caller_overrides_detection() -> None:
    query = parse_query("when does it come out?", MATCHER, show="stranger things")
    assert query.show == "Stranger Things"
    unknown = parse_query("when does it come out?", MATCHER, show="squid game")
    assert unknown.show is None


def test_fan_initials_and_a_season_typed_onto_them() -> None:
    matcher = ShowMatcher(["Percy Jackson and the Olympians", "Stranger Things", "Slow Horses",
                           "Sweet Home"])  # fmt: skip
    pjo = parse_query("who plays tyson pjo s2", matcher)
    assert (pjo.show, pjo.season) == ("Percy Jackson and the Olympians", 2)
    st5 = parse_query("what is the first episode of st5 called", matcher)
    assert (st5.show, st5.season) == ("Stranger Things", 5)
    # "sh" would be Slow Horses and Sweet Home: two letters two shows share name neither
    assert parse_query("when is sh season 2 out", matcher).show is None


def test_a_word_the_articles_never_use_one_letter_off_a_shows_initials_names_it() -> None:
    known = {"set", "are", "the"}.__contains__
    matcher = ShowMatcher(["Jujutsu Kaisen", "Abbott Elementary"], None, known)
    assert parse_query("jjk season 3 story", matcher).show == "Jujutsu Kaisen"
    # a word the articles use is never read as initials ("are" is one letter off "ae")
    assert parse_query("where are joel and ellie living now", matcher).show is None


def test_the_longest_name_that_matches_wins_over_a_title_inside_it() -> None:
    matcher = ShowMatcher(["Squid Game", "Squid Game: The Challenge"])
    for question in ("when did squid game the challenge 2 start",
                     "squidgame the challenge season 2 finale date",
                     "what games are in squid game challenge season 2"):  # fmt: skip
        assert parse_query(question, matcher).show == "Squid Game: The Challenge", question
    assert parse_query("who plays gi-hun in squid game 3", matcher).show == "Squid Game"


def test_the_words_where_fans_name_a_show_and_whether_they_could_name_one() -> None:
    matcher = ShowMatcher(["Outer Banks"])
    assert title_words(parse_query("the bear season 5 release date", matcher)) == ["bear"]
    assert title_words(parse_query("reacher s4 when", matcher)) == ["reacher"]
    assert title_words(parse_query("when does season 2 come out", matcher)) == []
    assert could_name(["sex", "ed"], "Sex Education")
    assert could_name(["obx"], "Outer Banks")
    assert could_name(["arcain"], "Arcane")
    assert not could_name(["bear"], "Single's Inferno")
    assert not could_name(["breaking", "bad"], "Better Call Saul")
