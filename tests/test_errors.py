import pytest

from attunement.errors import AttunementError, InputError


@pytest.mark.parametrize(
    ("kwargs", "text"),
    [
        ({}, "bad"),
        ({"path": "a.vtt"}, "a.vtt: bad"),
        ({"path": "a.vtt", "line": 7}, "a.vtt:7: bad"),
        ({"path": "a.csv", "line": 2, "field": "start"}, "a.csv:2: start: bad"),
        ({"field": "--therapist"}, "--therapist: bad"),
    ],
)
def test_message_names_where(kwargs, text):
    assert str(InputError("bad", **kwargs)) == text


def test_hierarchy():
    err = InputError("x")
    assert isinstance(err, AttunementError)
    assert isinstance(err, ValueError)


def test_with_path_fills_only_missing_path():
    assert str(InputError("x", line=3).with_path("f.txt")) == "f.txt:3: x"
    assert str(InputError("x", path="a").with_path("b")) == "a: x"
