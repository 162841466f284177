import pytest

from audiofn.errors import InvalidInput
from audiofn.text.scripts import MAX_SCRIPT_CHARS, check_audience_values, parse_script

SEED_EXAMPLE = (
    "<<sectionName::hello>> Hello {{username|buddy}} "
    "<<sectionName::bye>> Good bye from {{location|barcelona}}"
)


def test_seed_example_has_two_sections_and_two_placeholders():
    parsed = parse_script(SEED_EXAMPLE)

    assert parsed.section_names == ("hello", "bye")
    assert [(p.name, p.default) for p in parsed.placeholders] == [
        ("username", "buddy"),
        ("location", "barcelona"),
    ]


def test_rendering_uses_values_then_defaults():
    parsed = parse_script(SEED_EXAMPLE)
    hello, bye = parsed.sections

    assert hello.render({"username": "Elon"}) == "Hello Elon"
    assert bye.render({}) == "Good bye from barcelona"


def test_plain_text_is_one_default_section():
    parsed = parse_script("Hello world")

    assert parsed.section_names == ("default",)
    assert parsed.sections[0].text == "Hello world"


def test_text_before_first_marker_is_the_default_section():
    parsed = parse_script("Intro words. <<sectionName::main>> Main words.")

    assert parsed.section_names == ("default", "main")


def test_missing_value_without_default_names_the_placeholder():
    section = parse_script("Hi {{name}}").sections[0]

    with pytest.raises(InvalidInput) as error:
        section.render({}, field="audience[2]")

    assert error.value.field == "audience[2].name"
    assert "name" in error.value.message


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("<<sectionName::a Hello", "unclosed or malformed section marker"),
        ("Hello >> there", "'>>'"),
        ("Hello {{name", "unclosed or malformed placeholder"),
        ("Hello name}}", "'}}'"),
        ("<<sectionName::a>>", "has no text"),
        ("<<sectionName::a>> x <<sectionName::a>> y", "more than once"),
        ("<<soundSegment::boom>> x", "unknown marker"),
        ("<<sectionName::../etc>> x", "section name"),
        ("   ", "empty"),
    ],
)
def test_malformed_scripts_are_rejected_with_a_reason(text, fragment):
    with pytest.raises(InvalidInput) as error:
        parse_script(text)

    assert fragment in error.value.message
    assert error.value.field == "scriptText"


def test_oversized_script_states_the_limit():
    with pytest.raises(InvalidInput) as error:
        parse_script("a" * (MAX_SCRIPT_CHARS + 1))

    assert str(MAX_SCRIPT_CHARS) in error.value.message


def test_listener_values_cannot_inject_script_syntax():
    values = check_audience_values({"name": "Bob <<sectionName::x>> {{evil}}"}, field="audience")
    section = parse_script("Hi {{name}}").sections[0]

    rendered = section.render(values)

    assert "<<" not in rendered and "{{" not in rendered
    assert rendered.startswith("Hi Bob")


def test_listener_values_must_be_scalars():
    with pytest.raises(InvalidInput) as error:
        check_audience_values({"name": {"nested": 1}}, field="audience[0]")

    assert error.value.field == "audience[0].name"
