"""``benchmark roles``: the therapist of numbered speakers, picked by three rules."""

from attunement.benchmarks.roles import RULES, run_roles_benchmark


def test_the_rule_beats_the_simple_ones_on_annomi_and_a_counselling_csv(tmp_path):
    hlqc = tmp_path / "hlqc.csv"
    rows = ["corp_vol_idx,conv_id,speaker,vol_text"]
    for i in range(4):  # the client speaks first and asks; the counsellor reflects
        rows += [
            f"{4 * i},high_{i:03d},client,why do I always feel so tired?",
            f"{4 * i + 1},high_{i:03d},counsellor,you sound worn out and you want your energy back",
            f"{4 * i + 2},high_{i:03d},client,I do I just want to sleep well again",
            f"{4 * i + 3},high_{i:03d},counsellor,sleep matters a lot to you",
        ]
    hlqc.write_text("\n".join(rows) + "\n")
    table = run_roles_benchmark(hlqc=hlqc)
    assert list(table["rule"].unique()) == list(RULES)
    annomi = table[table["corpus"] == "AnnoMI"].set_index("rule")
    assert annomi.loc["you minus I (attunement)", "sessions"] == 133
    assert annomi.loc["you minus I (attunement)", "accuracy"] >= 0.95
    mine = table[table["corpus"] == "hlqc.csv"].set_index("rule")
    assert mine.loc["you minus I (attunement)", "right"] == 4
    assert mine.loc["first speaker", "right"] == 0
    assert (table["ci95_low"] <= table["accuracy"]).all()
    assert (table["accuracy"] <= table["ci95_high"]).all()
