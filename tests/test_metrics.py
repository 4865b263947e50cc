"""The metrics registry and the reference of results.json it writes (docs/results.md)."""

import importlib
import re
import warnings
from pathlib import Path

import pytest

from attunement import metrics
from attunement.analysis import AnalysisConfig, analyze_session
from attunement.errors import AttunementWarning
from attunement.metrics import (
    CHANCE_PARTS,
    METRICS,
    RESULT_FIELDS,
    SECTIONS,
    Metric,
    companion,
    markdown_reference,
)
from attunement.resonance import PHYSIOLOGY_METRICS, TURN_METRICS, ResonanceConfig

DOCS = Path(__file__).resolve().parents[1] / "docs" / "results.md"
#: Fields whose keys depend on the method: documented as a whole.
OPAQUE = {"provenance.methods[].parameters"}


@pytest.fixture(scope="module")
def demo():
    """The demo session's results.json document (few surrogates and resamples: fast)."""
    from attunement.demo import demo_manifest
    from attunement.io import read_session

    config = AnalysisConfig(resonance=ResonanceConfig(n_surrogates=19), interval_resamples=20)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AttunementWarning)
        return analyze_session(read_session(demo_manifest()), config).to_dict()


def test_docs_results_md_is_what_the_registry_writes():
    assert DOCS.read_text(encoding="utf-8") == markdown_reference(), (
        "docs/results.md is out of date: write it with "
        "python -c 'import attunement.metrics as m; print(m.markdown_reference(), end=\"\")' "
        "> docs/results.md"
    )


def test_every_metric_of_the_demo_is_registered_and_vice_versa(demo):
    found = list(demo["metrics"])
    registered = [name for name, m in METRICS.items() if m.where == "metrics"]
    assert sorted(found) == sorted(registered)
    assert len(found) == len(registered) == 109


def test_every_field_of_the_demo_is_documented_and_vice_versa(demo):
    patterns = {
        f.path: re.compile(
            "^"
            + re.sub(r"<\w+>", r"[^.]+", f.path.replace(".", r"\.").replace("[]", r"\[\]"))
            + "$"
        )
        for f in RESULT_FIELDS
    }

    def paths(value, prefix=""):
        if isinstance(value, dict):
            for k, v in value.items():
                p = f"{prefix}.{k}" if prefix else k
                yield p
                if prefix != "metrics" and p not in OPAQUE:
                    yield from paths(v, p)
        elif isinstance(value, list):
            for v in value:
                yield from paths(v, f"{prefix}[]")

    found = set(paths(demo))
    undocumented = [
        p
        for p in found
        if not p.startswith("metrics.") and not any(r.match(p) for r in patterns.values())
    ]
    assert not undocumented
    # ... and every documented field is in the demo's document
    absent = [path for path, r in patterns.items() if not any(r.match(p) for p in found)]
    assert not absent


def test_metric_records_are_complete():
    assert len(METRICS) == 117
    for name, m in METRICS.items():
        assert isinstance(m, Metric) and m.name == name
        assert m.label and m.unit and m.description.endswith((".", ".)", "'")), name
        module, _, function = m.producer.rpartition(".")
        assert callable(getattr(importlib.import_module(module), function)), m.producer
        if m.shown_with is not None:
            assert METRICS[m.shown_with].section is not None, name
        for part in m.chance:
            assert METRICS[companion(m, part)].shown_with == name
    assert [s for s in SECTIONS if not any(m.section == s for m in METRICS.values())] == []


def test_the_resonance_metrics_are_the_registry_s():
    assert set(PHYSIOLOGY_METRICS + TURN_METRICS) <= set(METRICS)
    assert len(set(PHYSIOLOGY_METRICS + TURN_METRICS)) == len(PHYSIOLOGY_METRICS + TURN_METRICS)


def test_the_coders_metrics_are_registered():
    from attunement.coding.apply import EMPATHY_METRICS
    from attunement.coding.uncertainty import INTERVAL_METRICS, QUALITY_METRIC

    assert set(EMPATHY_METRICS.values()) | set(INTERVAL_METRICS) <= set(METRICS)
    assert metrics.MI_QUALITY_SCORE.name == QUALITY_METRIC
    coded = {n for n, m in METRICS.items() if m.producer.startswith("attunement.coding.")}
    assert coded == set(INTERVAL_METRICS)


def test_what_the_report_and_the_web_pages_show_is_registered():
    from attunement.report.html import METRIC_GROUPS
    from attunement.web.summary import BESIDE_METRICS, TREND_METRICS

    assert list(METRIC_GROUPS) == list(SECTIONS)
    shown = {n for group in METRIC_GROUPS.values() for n in group}
    shown |= set(BESIDE_METRICS) | {n for names in TREND_METRICS.values() for n in names}
    assert shown <= set(METRICS)
    for name, (label, _, note) in {
        k: v for g in METRIC_GROUPS.values() for k, v in g.items()
    }.items():
        assert (label, note) == (METRICS[name].label, METRICS[name].note)


def test_companions_are_named_by_rule():
    assert companion(metrics.AFFECT_ALIGNMENT, "effect_size") == "affect_alignment_effect_size"
    assert CHANCE_PARTS == ("effect_size", "p_value", "chance_test", "n_moments", "n_others")
    assert companion(metrics.MOMENT_CLIENT_SCR, "n_others") == "moment_client_scr_n_others"
    with pytest.raises(ValueError, match="part"):
        companion("eda_synchrony", "ci95_low")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"name": "Eda"}, "snake_case"),
        ({"section": "Elsewhere"}, "section"),
        ({"where": "store"}, "where"),
        ({"chance": ("ci",)}, "chance"),
        ({"test": "bootstrap"}, "test"),
        ({"chance": ("p_value", "n_moments")}, "test='moments'"),
    ],
)
def test_a_bad_record_is_refused(kwargs, match):
    base = {"name": "x", "label": "X", "unit": "r", "producer": "a.b", "description": "X."}
    with pytest.raises(ValueError, match=match):
        Metric(**{**base, **kwargs})


def test_the_moments_companions_describe_their_own_test():
    p = METRICS[companion(metrics.MOMENT_CLIENT_SCR, "p_value")]
    assert (
        p.description.startswith("Two-sided") and "circular shifts of the moment" in p.description
    )
    d = METRICS[companion(metrics.MOMENT_CLIENT_SCR, "effect_size")]
    assert d.unit == "d" and "Cohen's d" in d.description
    assert METRICS[companion(metrics.MOMENT_CLIENT_SCR, "n_moments")].unit == "count"
    assert METRICS[companion(metrics.EDA_SYNCHRONY, "p_value")].description.startswith("One-sided")
    assert set(metrics.MOMENT_RESPONSES.values()) == {
        m for m in METRICS.values() if m.test == "moments" and m.shown_with is None
    }
