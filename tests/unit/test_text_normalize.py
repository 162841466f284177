"""Text normalisation: a corpus of written forms and what a person would say for them."""

from __future__ import annotations

import pytest

from audiofn.text.normalize import (
    cardinal,
    digits,
    normalize,
    normalize_text,
    ordinal,
    spell_characters,
    supported_languages,
)

CORPUS = [
    # cardinals, any size
    ("I have 3 cats.", "I have three cats."),
    ("There were 1,250 people.", "There were one thousand two hundred fifty people."),
    ("It weighs 1000000 tons.", "It weighs one million tons."),
    (
        "Population 1,234,567.",
        "Population one million two hundred thirty-four thousand five hundred sixty-seven.",
    ),
    ("Count to 101", "Count to one hundred one"),
    ("It is 10000000000000000000000 strong", "It is ten sextillion strong"),
    ("It was -5 outside", "It was minus five outside"),
    ("Agent 007 is here", "Agent zero zero seven is here"),
    # decimals
    ("Pi is 3.14", "Pi is three point one four"),
    ("Only 0.5 left", "Only zero point five left"),
    ("Add .25 more", "Add point two five more"),
    # ordinals
    ("She came 1st.", "She came first."),
    ("The 22nd time", "The twenty-second time"),
    ("The 103rd floor", "The one hundred third floor"),
    ("the 1,000th visitor", "the one thousandth visitor"),
    # percentages
    ("Growth was 45%", "Growth was forty-five percent"),
    ("A 4.5 % rise", "A four point five percent rise"),
    ("Between 5-10% of users", "Between five to ten percent of users"),
    # currencies
    ("$4.2m", "four point two million dollars"),
    ("$4.2 million", "four point two million dollars"),
    ("€1,250.50", "one thousand two hundred fifty euros and fifty cents"),
    ("It costs $4.20", "It costs four dollars and twenty cents"),
    ("Just $1", "Just one dollar"),
    ("Only $0.50", "Only fifty cents"),
    ("£5 each", "five pounds each"),
    ("¥1,000", "one thousand yen"),
    ("A 50¢ stamp", "A fifty cents stamp"),
    ("It was 12 USD", "It was twelve dollars"),
    ("A EUR 3.5m deal", "A three point five million euros deal"),
    ("Revenue hit $3bn", "Revenue hit three billion dollars"),
    ("Salary $85k", "Salary eighty-five thousand dollars"),
    # dates
    ("on 3/14/2025", "on March fourteenth, twenty twenty-five"),
    ("on 2025-03-14", "on March fourteenth, twenty twenty-five"),
    ("on March 14th", "on March fourteenth"),
    ("on March 14", "on March fourteenth"),
    ("March 14, 2025", "March fourteenth, twenty twenty-five"),
    ("on 14 March 2025", "on the fourteenth of March, twenty twenty-five"),
    ("due 31/12/2024", "due December thirty-first, twenty twenty-four"),
    ("Sept. 5th", "September fifth"),
    ("in March 2020", "in March twenty twenty"),
    ("born in 1999", "born in nineteen ninety-nine"),
    ("since 2005", "since two thousand five"),
    ("the 1990s", "the nineteen nineties"),
    ("14.03.2025", "the fourteenth of March, twenty twenty-five"),
    # times
    ("at 10:30am", "at ten thirty a.m."),
    ("at 10:30 PM", "at ten thirty p.m."),
    ("at 3pm", "at three p.m."),
    ("at 9:05 a.m.", "at nine oh five a.m."),
    ("at 14:05", "at fourteen oh five"),
    ("at 10:00", "at ten o'clock"),
    ("at 10.30 am", "at ten thirty a.m."),
    # phone numbers
    ("Call (555) 123-4567", "Call five five five, one two three, four five six seven"),
    ("Call 555-123-4567", "Call five five five, one two three, four five six seven"),
    (
        "Dial +44 20 7946 0958",
        "Dial plus four four, two zero, seven nine four six, zero nine five eight",
    ),
    # units
    ("It is 5 km away", "It is five kilometers away"),
    ("It is 1 km away", "It is one kilometer away"),
    ("It weighs 3.5kg", "It weighs three point five kilograms"),
    ("It is 20°C", "It is twenty degrees Celsius"),
    ("Drive at 60 mph", "Drive at sixty miles per hour"),
    ("Max 100 km/h", "Max one hundred kilometers per hour"),
    ("Pour 250 ml", "Pour two hundred fifty milliliters"),
    ("A 2 GB file", "A two gigabytes file"),
    ("It is 6 ft tall", "It is six feet tall"),
    ("A 10 lb bag", "A ten pounds bag"),
    ("At 2.4 GHz", "At two point four gigahertz"),
    # abbreviations
    ("Dr. Smith is here", "Doctor Smith is here"),
    ("Mr. and Mrs. Jones", "Mister and Missus Jones"),
    ("Visit St. Paul", "Visit Saint Paul"),
    ("on Main St. today", "on Main Street today"),
    ("Elm Dr. is nice", "Elm Drive is nice"),
    ("Fruit, e.g. apples", "Fruit, for example apples"),
    ("One thing, i.e. this", "One thing, that is this"),
    ("Apples, pears etc. Then more", "Apples, pears et cetera. Then more"),
    ("Item No. 5", "Item number five"),
    ("Prof. Lee vs. Dr. Who", "Professor Lee versus Doctor Who"),
    # URLs and e-mail
    ("Visit example.com", "Visit example dot com"),
    (
        "Go to https://www.example.com/docs",
        "Go to w w w dot example dot com slash docs",
    ),
    ("Mail jane.doe@example.com", "Mail jane dot doe at example dot com"),
    # symbols
    ("Tom & Jerry", "Tom and Jerry"),
    ("A+B", "A plus B"),
    ("We're #1", "We're number one"),
    ("2 + 2 = 4", "two plus two equals four"),
    ("Meet @ noon", "Meet at noon"),
    # fractions and ranges
    ("Add 1/2 cup", "Add one half cup"),
    ("About 3/4 done", "About three quarters done"),
    ("Pages 5-10", "Pages five to ten"),
    # the sentence
    (
        "Dr. Smith paid $4.2 million on 3/14/2025 at 10:30am",
        "Doctor Smith paid four point two million dollars on March fourteenth, "
        "twenty twenty-five at ten thirty a.m.",
    ),
    # left alone
    ("Hello world.", "Hello world."),
    ("The MP3 player", "The MP3 player"),
    ("COVID-19 cases", "COVID nineteen cases"),
]


def test_the_corpus_is_large_enough() -> None:
    assert len(CORPUS) >= 50


@pytest.mark.parametrize(("written", "spoken"), CORPUS, ids=[w for w, _ in CORPUS])
def test_corpus(written: str, spoken: str) -> None:
    assert normalize_text(written) == spoken


def test_spans_cover_the_text_and_map_written_to_spoken() -> None:
    text = "Dr. Smith paid $4.2m on 3/14/2025."
    result = normalize(text)
    assert "".join(span.written for span in result.spans) == text
    assert [span.start for span in result.spans] == sorted(span.start for span in result.spans)
    changed = {span.written: span.spoken.strip() for span in result.spans if span.changed}
    assert changed == {
        "Dr.": "Doctor",
        "$4.2m": "four point two million dollars",
        "3/14/2025": "March fourteenth, twenty twenty-five",
    }


def test_word_groups_report_words_as_written() -> None:
    groups = normalize("Dr. Smith paid $4.2m today").word_groups()
    assert groups == [("Dr.", 1), ("Smith", 1), ("paid", 1), ("$4.2m", 5), ("today", 1)]
    spoken = normalize("Dr. Smith paid $4.2m today").text.split()
    assert sum(count for _, count in groups) == len(spoken)


def test_other_languages_read_numbers_with_num2words() -> None:
    assert normalize_text("Ich habe 3 Katzen", "de") == "Ich habe drei Katzen"
    assert normalize_text("J'ai 21 ans", "fr-FR") == "J'ai vingt et un ans"
    assert normalize_text("Es el 50%", "es") == "Es el cincuenta por ciento"
    assert {"en", "de", "fr", "es"} <= supported_languages()


def test_a_language_without_rules_is_unchanged() -> None:
    assert normalize_text("abc 12", "xx") == "abc 12"
    assert normalize("", "en").spans == ()


def test_number_helpers() -> None:
    assert cardinal("1,000,001") == "one million one"
    assert cardinal(10**60)  # beyond num2words' names: read digit by digit
    assert ordinal("42nd") == "forty-second"
    assert digits("2049") == "two zero four nine"
    assert spell_characters("ab1") == "A, B, one"
    with pytest.raises(ValueError, match="whole number"):
        cardinal("1.5")


def test_normalisation_is_fast_on_a_long_script() -> None:
    import time

    text = "Dr. Smith paid $4.2m on 3/14/2025 at 10:30am for 5 km of road. " * 500
    started = time.perf_counter()
    result = normalize(text)
    assert time.perf_counter() - started < 5
    assert result.text.count("four point two million dollars") == 500
