"""Tests of listing a batch's sessions and handing out those of corpus files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from corpus_fixture import annomi_csv, plain_session
from hypothesis import given, settings
from hypothesis import strategies as st

from attunement.batch.inputs import (
    SessionLoader,
    WorkItem,
    expand_inputs,
    pack_session,
    unpack_session,
)
from attunement.errors import InputError
from attunement.model import Session, Signal, Utterance


def names(items: list[WorkItem], root: Path) -> list[str]:
    out = []
    for item in items:
        rel = item.path.relative_to(root.resolve()).as_posix()
        out.append(rel if item.transcript_id is None else f"{rel}#{item.transcript_id}")
    return out


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A corpus folder with sub-folders, a manifest folder, hidden and foreign files."""
    root = tmp_path / "corpus"
    (root / "b").mkdir(parents=True)
    (root / "a" / "week6" / "therapist_e4").mkdir(parents=True)
    (root / ".hidden").mkdir()
    (root / "z.vtt").write_text("WEBVTT\n")
    (root / "b" / "s2.txt").write_text(plain_session(2))
    (root / "b" / "s1.srt").write_text("1\n")
    (root / "b" / "notes.pdf").write_bytes(b"%PDF")
    (root / "b" / ".s0.txt").write_text(plain_session(0))
    (root / ".hidden" / "x.txt").write_text(plain_session(1))
    week6 = root / "a" / "week6"
    (week6 / "session.toml").write_text('[transcript]\npath = "t.vtt"\n')
    (week6 / "t.vtt").write_text("WEBVTT\n")
    (week6 / "therapist_e4" / "EDA.csv").write_text("1.0\n4.0\n")
    (root / "c.csv").write_text(annomi_csv([5, 2]))
    return root


def test_a_folder_is_searched_in_sorted_order(tree: Path) -> None:
    items = expand_inputs([tree])
    assert names(items, tree) == [
        "c.csv#5",
        "c.csv#2",
        "z.vtt",
        "a/week6/session.toml",
        "b/s1.srt",
        "b/s2.txt",
    ]
    assert items[0].index == 0 and items[1].index == 1 and items[1].n_in_file == 2
    assert [i.label for i in items] == ["c-5", "c-2", "z", "week6", "s1", "s2"]


def test_explicit_files_keep_their_order_and_repeats_are_dropped(tree: Path) -> None:
    items = expand_inputs([tree / "z.vtt", tree / "b", tree / "b" / "s2.txt", tree / "z.vtt"])
    assert names(items, tree) == ["z.vtt", "b/s1.srt", "b/s2.txt"]


def test_globs_and_list_files(tree: Path) -> None:
    items = expand_inputs([str(tree / "**" / "*.txt")])
    assert names(items, tree) == ["b/s2.txt"]
    listing = tree / "list.txt"
    listing.write_text("# my sessions\n\nz.vtt\nb/*.srt\na\n")
    assert names(expand_inputs([f"@{listing}"]), tree) == [
        "z.vtt",
        "b/s1.srt",
        "a/week6/session.toml",
    ]


def test_the_output_folder_is_not_searched(tree: Path) -> None:
    (tree / "out").mkdir()
    (tree / "out" / "old.txt").write_text(plain_session(3))
    assert "out/old.txt" not in names(expand_inputs([tree], exclude=[tree / "out"]), tree)
    assert "out/old.txt" in names(expand_inputs([tree]), tree)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d / "missing.vtt", "missing.vtt: no such file or folder; expected a transcript"),
        (lambda d: str(d / "*.nothing"), r"\*.nothing: matches no file; expected a glob pattern"),
        (lambda d: d / "empty", "empty: is a folder without transcripts or session manifests"),
        (lambda d: f"@{d / 'list.txt'}", "list.txt:2: 'gone.vtt' no such file or folder"),
        (lambda d: f"@{d / 'nolist.txt'}", "nolist.txt: no such file; expected an existing file"),
    ],
)
def test_inputs_that_stop_the_batch(tmp_path: Path, make, message: str) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "readme.pdf").write_bytes(b"%PDF")
    (tmp_path / "list.txt").write_text("# comment\ngone.vtt\n")
    with pytest.raises(InputError, match=message):
        expand_inputs([make(tmp_path)])


def test_nothing_at_all(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no session found"):
        expand_inputs([])


@pytest.mark.parametrize(
    ("content", "n_items"),
    [
        (annomi_csv([1, 2, 3]), 3),
        (annomi_csv([4]), 1),  # one transcript: the worker reads the file
        (annomi_csv([1, 2]).replace("\n2,", "\nx,", 1), 1),  # bad id: the reader explains
        (annomi_csv([1, 2])[:-30], 1),  # cut inside a quoted text: the reader explains
        ("transcript_id,interlocutor\n", 1),
        ("speaker,text\nA,hi\n", 1),
    ],
)
def test_corpus_files_are_split_only_when_they_list_cleanly(
    tmp_path: Path, content: str, n_items: int
) -> None:
    (tmp_path / "corpus.csv").write_text(content)
    assert len(expand_inputs([tmp_path / "corpus.csv"])) == n_items


@pytest.mark.parametrize("codec", ["utf-16", "utf-8-sig"])
def test_corpus_files_in_utf16_or_with_bom_are_split(tmp_path: Path, codec: str) -> None:
    (tmp_path / "corpus.csv").write_bytes(annomi_csv([1, 2]).encode(codec))
    items = expand_inputs([tmp_path / "corpus.csv"])
    assert [i.transcript_id for i in items] == ["1", "2"]


def test_a_forced_format_or_encoding_decides_how_a_file_is_listed(tmp_path: Path) -> None:
    (tmp_path / "corpus.csv").write_text(annomi_csv([1, 2]))
    assert len(expand_inputs([tmp_path / "corpus.csv"], format="csv")) == 1  # read as one
    items = expand_inputs([tmp_path / "corpus.csv"], format="annomi")
    assert [i.transcript_id for i in items] == ["1", "2"]
    (tmp_path / "le.csv").write_bytes(annomi_csv([1, 2]).encode("utf-16-le"))  # no BOM
    items = expand_inputs([tmp_path / "le.csv"], encoding="utf-16-le")
    assert [i.transcript_id for i in items] == ["1", "2"]
    loader = SessionLoader(format="annomi", encoding="utf-16-le")
    assert [unpack_session(loader.payload(i)).id for i in items] == ["le-1", "le-2"]
    for encoding in ("klingon", "base64"):
        with pytest.raises(InputError, match=f"encoding: unknown encoding '{encoding}'"):
            expand_inputs([tmp_path / "le.csv"], encoding=encoding)


def test_keys_and_fingerprints(tmp_path: Path) -> None:
    path = tmp_path / "s.txt"
    path.write_text(plain_session(1))
    (item,) = expand_inputs([path])
    assert item.key == path.resolve().as_posix()
    path.write_text(plain_session(12))
    (again,) = expand_inputs([path])
    assert again.key == item.key and again.fingerprint != item.fingerprint


def test_loader_reads_a_corpus_file_once(tmp_path: Path, monkeypatch) -> None:
    import attunement.batch.inputs as inputs

    (tmp_path / "c.csv").write_text(annomi_csv([8, 9, 10]))
    items = expand_inputs([tmp_path / "c.csv"])
    reads = []
    real = inputs.read_sessions
    monkeypatch.setattr(inputs, "read_sessions", lambda *a, **k: reads.append(a) or real(*a, **k))
    loader = SessionLoader()
    sessions = [unpack_session(loader.payload(item)) for item in items]
    assert [s.id for s in sessions] == ["c-8", "c-9", "c-10"]
    assert len(reads) == 1
    (tmp_path / "s.txt").write_text(plain_session(1))
    assert loader.payload(expand_inputs([tmp_path / "s.txt"])[0]) is None


def test_loader_refuses_a_corpus_file_that_changed(tmp_path: Path) -> None:
    (tmp_path / "c.csv").write_text(annomi_csv([8, 9, 10]))
    items = expand_inputs([tmp_path / "c.csv"])
    (tmp_path / "c.csv").write_text(annomi_csv([8, 9]))
    with pytest.raises(
        InputError, match=r"c.csv: changed while the batch ran \(it holds 2 sessions"
    ):
        SessionLoader().payload(items[0])


def test_loader_gives_every_item_of_a_broken_corpus_file_its_error(tmp_path: Path) -> None:
    (tmp_path / "c.csv").write_text(annomi_csv([8, 9]))
    items = expand_inputs([tmp_path / "c.csv"])
    (tmp_path / "c.csv").write_text(annomi_csv([8, 9]).replace("therapist", "coach", 1))
    loader = SessionLoader()
    for item in items:
        with pytest.raises(InputError, match="interlocutor: is 'coach'; expected therapist"):
            loader.payload(item)


def test_pack_round_trip_with_signals() -> None:
    utterances = (Utterance(0, "Therapist", "therapist", 0.0, 1.5, "Hi."),)
    signal = Signal("eda", "client", 4.0, np.arange(8.0), 2.0, meta={"simulated": True})
    session = Session("s", utterances, (signal,), {"client": {"srs": 36}}, {"topic": "sleep"})
    back = unpack_session(pack_session(session))
    assert back.utterances == session.utterances
    assert back.signals[0].meta["simulated"] is True
    np.testing.assert_array_equal(back.signals[0].values, signal.values)
    assert back.ratings["client"] == {"srs": 36} and back.meta["topic"] == "sleep"


@settings(max_examples=50)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["therapist", "client", "other"]),
            st.text(min_size=1, max_size=30),
            st.one_of(st.none(), st.floats(0, 1e5)),
        ),
        max_size=20,
    )
)
def test_pack_round_trip_of_any_utterances(rows) -> None:
    utterances = tuple(
        Utterance(i, role.title(), role, start, None, text)
        for i, (role, text, start) in enumerate(rows)
    )
    session = Session("s", utterances)
    assert unpack_session(pack_session(session)).utterances == utterances


@settings(max_examples=100)
@given(st.binary(max_size=300))
def test_any_bytes_are_listed_as_one_session_or_split(tmp_path_factory, data: bytes) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "f.csv"
    path.write_bytes(data or b"x")
    items = expand_inputs([path])
    assert len(items) >= 1
    assert all(i.path == path.resolve() for i in items)
