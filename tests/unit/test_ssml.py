# ruff: noqa: RUF001 -- IPA
"""The SSML subset: parsing into the intermediate representation, errors with positions,
escaping of listener values, and the serialised forms."""

from __future__ import annotations

import math

import pytest

from audiofn.errors import InvalidInput
from audiofn.text.ssml import (
    PARAGRAPH_PAUSE_MS,
    SENTENCE_PAUSE_MS,
    Boundary,
    Break,
    Phoneme,
    Prosody,
    Run,
    SSMLError,
    Text,
    escape_text,
    is_ssml,
    parse_ssml,
    speech_items,
    to_ssml,
)


def texts(document) -> list[str]:
    return [s.text for s in document.segments if isinstance(s, Text)]


def test_plain_text_is_one_text_segment() -> None:
    document = parse_ssml("Hello world")
    assert document.segments == (Text("Hello world"),)
    assert not document.is_ssml


def test_plain_text_keeps_bare_ampersands_and_angles_and_decodes_entities() -> None:
    assert parse_ssml("Tom & Jerry say 3 < 5").text == "Tom & Jerry say 3 < 5"
    assert parse_ssml("AT&amp;T &lt;3").text == "AT&T <3"


def test_tags_without_speak_are_ssml_and_bare_characters_still_work() -> None:
    document = parse_ssml('Tom & Jerry, 3 < 5 <break time="1s"/> done')
    assert document.is_ssml
    assert document.segments[1] == Break(1000)
    assert document.text == "Tom & Jerry, 3 < 5 done"


def test_breaks_by_time_and_strength() -> None:
    document = parse_ssml(
        '<speak>a<break time="250ms"/>b<break time="1.5s"/>c<break strength="x-strong"/>'
        "d<break/>e</speak>"
    )
    assert [s.ms for s in document.segments if isinstance(s, Break)] == [250, 1500, 1200, 400]


def test_prosody_nests_and_emphasis_is_kept() -> None:
    document = parse_ssml(
        '<speak><prosody rate="slow" pitch="+2st" volume="-6dB">a '
        '<prosody rate="50%" pitch="low" volume="+3dB"><emphasis level="strong">b'
        "</emphasis></prosody></prosody></speak>"
    )
    outer, inner = [s for s in document.segments if isinstance(s, Text)]
    assert outer.style.prosody == Prosody(0.8, 2.0, -6.0)
    assert inner.style.prosody == Prosody(0.4, 0.0, -3.0)
    assert inner.style.emphasis == "strong"


@pytest.mark.parametrize(
    ("attribute", "value", "expected"),
    [
        ("rate", "x-fast", 1.5),
        ("rate", "+20%", 1.2),
        ("rate", "-20%", 0.8),
        ("rate", "150%", 1.5),
        ("rate", "1.25", 1.25),
        ("pitch", "+12st", 12.0),
        ("pitch", "x-high", 4.0),
        ("pitch", "+100%", 12.0),
        ("volume", "x-loud", 10.0),
        ("volume", "-12dB", -12.0),
        ("volume", "silent", -math.inf),
    ],
)
def test_prosody_values(attribute: str, value: str, expected: float) -> None:
    document = parse_ssml(f'<speak><prosody {attribute}="{value}">x</prosody></speak>')
    [segment] = document.segments
    assert isinstance(segment, Text)
    assert getattr(segment.style.prosody, attribute) == pytest.approx(expected)
    prosody = segment.style.prosody
    assert getattr(prosody, attribute) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("markup", "spoken"),
    [
        ('<say-as interpret-as="characters">abc</say-as>', "A, B, C"),
        ('<say-as interpret-as="spell-out">R2</say-as>', "R, two"),
        ('<say-as interpret-as="cardinal">1,234</say-as>', "one thousand two hundred thirty-four"),
        ('<say-as interpret-as="ordinal">3</say-as>', "third"),
        ('<say-as interpret-as="digits">2049</say-as>', "two zero four nine"),
        (
            '<say-as interpret-as="date" format="dmy">14/03/2025</say-as>',
            "the fourteenth of March, twenty twenty-five",
        ),
        (
            '<say-as interpret-as="date" format="mdy">03/14/2025</say-as>',
            "March fourteenth, twenty twenty-five",
        ),
        (
            '<say-as interpret-as="date" format="ymd">2025-03-14</say-as>',
            "March fourteenth, twenty twenty-five",
        ),
        ('<say-as interpret-as="date" format="md">3/14</say-as>', "March fourteenth"),
        ('<say-as interpret-as="date" format="y">1999</say-as>', "nineteen ninety-nine"),
        ('<say-as interpret-as="date">2025-03-14</say-as>', "March fourteenth, twenty twenty-five"),
        ('<say-as interpret-as="time">10:30am</say-as>', "ten thirty a.m."),
        ('<say-as interpret-as="time">1\'21"</say-as>', "one minute twenty-one seconds"),
        (
            '<say-as interpret-as="telephone">(555) 123-4567</say-as>',
            "five five five, one two three, four five six seven",
        ),
        ('<say-as interpret-as="currency">$4.20</say-as>', "four dollars and twenty cents"),
        (
            '<say-as interpret-as="currency">€1,250.50</say-as>',
            "one thousand two hundred fifty euros and fifty cents",
        ),
    ],
)
def test_say_as_is_resolved_to_words(markup: str, spoken: str) -> None:
    document = parse_ssml(f"<speak>{markup}</speak>")
    [segment] = document.segments
    assert isinstance(segment, Text) and segment.verbatim
    assert segment.text == spoken
    assert segment.written


def test_say_as_in_another_language_uses_its_numbers() -> None:
    document = parse_ssml(
        '<speak><lang xml:lang="de"><say-as interpret-as="cardinal">21</say-as></lang></speak>'
    )
    assert texts(document) == ["einundzwanzig"]


def test_sub_phoneme_paragraphs_and_languages() -> None:
    document = parse_ssml(
        '<speak xml:lang="en-US"><p><s><sub alias="World Wide Web Consortium">W3C</sub></s>'
        '<s>I say <phoneme alphabet="ipa" ph="təˈmɑːtoʊ">tomato</phoneme></s></p>'
        '<p><lang xml:lang="fr-FR">Bonjour</lang></p></speak>'
    )
    assert document.language == "en-US"
    segments = document.segments
    assert segments[0] == Boundary("paragraph")
    sub = next(s for s in segments if isinstance(s, Text) and s.written == "W3C")
    assert sub.text == "World Wide Web Consortium"
    phoneme = next(s for s in segments if isinstance(s, Phoneme))
    assert (phoneme.ipa, phoneme.written) == ("təˈmɑːtoʊ", "tomato")
    french = next(s for s in segments if isinstance(s, Text) and s.text == "Bonjour")
    assert french.style.language == "fr-FR"
    assert document.word_groups() == [
        ("W3C", 4),
        ("I", 1),
        ("say", 1),
        ("tomato", 1),
        ("Bonjour", 1),
    ]


def test_speech_items_merge_pauses() -> None:
    document = parse_ssml(
        "<speak><p><s>One.</s> <s>Two.</s></p> <p>Three"
        '<break time="300ms"/><break time="200ms"/>four</p><break time="1s"/></speak>'
    )
    items = speech_items(document)
    assert [type(item).__name__ for item in items] == [
        "Run",
        "Break",
        "Run",
        "Break",
        "Run",
        "Break",
        "Run",
        "Break",
    ]
    assert [item.ms for item in items if isinstance(item, Break)] == [
        SENTENCE_PAUSE_MS,
        PARAGRAPH_PAUSE_MS,
        500,
        1000,
    ]
    assert isinstance(items[0], Run) and items[0].text == "One."


def test_to_ssml_for_polly_and_preview() -> None:
    document = parse_ssml(
        '<speak>Hi &amp; <emphasis>bye</emphasis><break time="1s"/>'
        '<phoneme ph="ˈpiːkæn">pecan</phoneme> <lang xml:lang="de">Hallo</lang></speak>'
    )
    ssml = to_ssml(document, prosody=Prosody(rate=1.5))
    assert ssml.startswith("<speak>") and ssml.endswith("</speak>")
    assert '<break time="1000ms"/>' in ssml
    assert '<phoneme alphabet="ipa" ph="ˈpiːkæn">pecan</phoneme>' in ssml
    assert 'rate="150%"' in ssml
    assert 'rate="138%"' in ssml  # emphasis (0.92) within the request's speed
    assert '<lang xml:lang="de">' in ssml
    assert "Hi &amp;" in ssml
    parse_ssml(ssml)  # what we send is valid by our own rules
    preview = to_ssml(document, markup=False)
    assert preview.startswith("Hi &amp; bye")
    assert "<prosody" not in preview and '<break time="1000ms"/>' in preview


def test_escaped_listener_values_can_never_become_markup() -> None:
    value = '</s><break time="10s"/><speak> & <prosody rate="x-fast">'
    for script in ("Hello {}!", '<speak>Hello <emphasis>{}</emphasis><break time="1s"/></speak>'):
        document = parse_ssml(script.format(escape_text(value)))
        assert not [s for s in document.segments if isinstance(s, Break) and s.ms == 10_000]
        assert value in document.text
        assert all(s.style.prosody.rate == 1.0 for s in document.segments if isinstance(s, Text))


def test_is_ssml() -> None:
    assert is_ssml('a <break time="1s"/> b')
    assert is_ssml("<speak>hi</speak>")
    assert not is_ssml("3 < 5 and 6 > 2")
    assert not is_ssml("I <3 you")


@pytest.mark.parametrize(
    ("text", "tag", "line", "column", "words"),
    [
        ('<speak>Hi <prosody rate="fast">there</speak>', "prosody", 1, 37, "does not close"),
        ('Hello\n  <prosody rate="fast">there', "prosody", 2, 3, "never closed"),
        ("<speak>Hi <foo>x</foo></speak>", "foo", 1, 11, "unknown tag <foo>"),
        ('<speak>Hi <break time="1x"/></speak>', "break", 1, 11, "time='1x'"),
        ('<speak>Hi <break time="11s"/></speak>', "break", 1, 11, "10s limit"),
        ('<speak><break strength="huge"/></speak>', "break", 1, 8, "strength='huge'"),
        ('<speak><break foo="1"/></speak>', "break", 1, 8, "unknown attribute 'foo'"),
        ('<speak><prosody rate="warp">x</prosody></speak>', "prosody", 1, 8, "rate='warp'"),
        ('<speak><prosody rate="1000%">x</prosody></speak>', "prosody", 1, 8, "rate="),
        ('<speak><prosody pitch="200Hz">x</prosody></speak>', "prosody", 1, 8, "pitch="),
        ('<speak><prosody volume="+90dB">x</prosody></speak>', "prosody", 1, 8, "volume="),
        ('<speak><emphasis level="max">x</emphasis></speak>', "emphasis", 1, 8, "level="),
        ('<speak><say-as interpret-as="joke">x</say-as></speak>', "say-as", 1, 8, "joke"),
        (
            '<speak><say-as interpret-as="date" format="qq">1</say-as></speak>',
            "say-as",
            1,
            8,
            "format",
        ),
        (
            '<speak>\n<say-as interpret-as="cardinal">many</say-as></speak>',
            "say-as",
            2,
            1,
            "cannot read 'many'",
        ),
        ("<speak><sub>W3C</sub></speak>", "sub", 1, 8, "alias"),
        ('<speak><phoneme ph="HELLO">hi</phoneme></speak>', "phoneme", 1, 8, "'H'"),
        (
            '<speak><phoneme alphabet="x-sampa" ph="a">a</phoneme></speak>',
            "phoneme",
            1,
            8,
            "alphabet",
        ),
        ("<speak><lang>x</lang></speak>", "lang", 1, 8, "xml:lang"),
        ('<speak><lang xml:lang="english!">x</lang></speak>', "lang", 1, 8, "language tag"),
        (
            '<speak><sub alias="x"><break/></sub></speak>',
            "break",
            1,
            23,
            "not allowed inside <sub>",
        ),
        ("<speak><speak>x</speak></speak>", "speak", 1, 8, "outermost"),
        ("<speak>x</b></speak>", "speak", 1, 9, "</b>"),
        ("<speak>Hi &nbsp; there <break/></speak>", None, 1, 11, "&nbsp;"),
        (
            '<!DOCTYPE speak [<!ENTITY x "boom">]><speak>&x;</speak>',
            None,
            1,
            1,
            "document type",
        ),
        ("  \n <speak><foo/></speak>", "foo", 2, 9, "unknown tag"),
    ],
)
def test_malformed_ssml_names_the_tag_and_position(
    text: str, tag: str | None, line: int, column: int, words: str
) -> None:
    with pytest.raises(SSMLError) as caught:
        parse_ssml(text, field="scriptText")
    error = caught.value
    assert isinstance(error, InvalidInput) and error.status_code == 400
    assert error.field == "scriptText"
    assert (error.tag, error.line, error.column) == (tag, line, column), error.message
    assert words in error.message
    assert f"line {line}, column {column}" in error.message


def test_breaks_of_one_text_add_up_to_at_most_a_minute():
    from audiofn.text.ssml import MAX_TOTAL_BREAK_MS, SSMLError, parse_ssml

    assert MAX_TOTAL_BREAK_MS == 60_000
    parse_ssml("Hi." + '<break time="10s"/>' * 6)  # exactly a minute
    with pytest.raises(SSMLError, match="<break>s add up to more than 60s") as refused:
        parse_ssml("Hi." + '<break time="10s"/>' * 6 + '<break time="1ms"/>', field="input")
    assert refused.value.field == "input"
