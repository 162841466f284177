import pytest

from audiofn.errors import InvalidInput
from audiofn.naming import check_name, slug


@pytest.mark.parametrize("name", ["default", "My Project", "intro-1", "café_2", "v1.2"])
def test_safe_names_pass(name):
    assert check_name(name, "projectName") == name


@pytest.mark.parametrize(
    "name",
    ["../x", "a/b", "a\\b", "..", ".hidden", "x\x00y", "line\nbreak", "trailing\n", "", "a" * 101],
)
def test_names_that_could_escape_a_prefix_are_rejected(name):
    with pytest.raises(InvalidInput) as error:
        check_name(name, "scriptName")

    assert error.value.field == "scriptName"


def test_slug_is_url_safe():
    assert slug("Elon Musk/ü?") == "Elon-Musk"
