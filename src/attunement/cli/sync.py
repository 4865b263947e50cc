"""``sync``: the synchrony of two signal files, tested against surrogates."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from attunement.cli._options import SignalKind, SurrogateMethod, above
from attunement.cli._render import out_console, print_pairs


def _read_pair(therapist_signal: Path, client_signal: Path, kind: str):
    """Both people's signals, each file checked to hold ``kind``."""
    from attunement.errors import InputError
    from attunement.io.manifest import read_wearable

    signals: list = []
    for role, path in (("therapist", therapist_signal), ("client", client_signal)):
        got = read_wearable(path, role=role, kind=kind)[0]
        if not any(sig.kind == kind for sig in got):
            found = ", ".join(sorted({sig.kind for sig in got})) or "no signal"
            raise InputError(
                f"holds no {kind.upper()} (found: {found}); expected the {role}'s "
                f"{kind.upper()} for --kind {kind}",
                path=path,
            )
        signals.extend(got)
    return tuple(signals)


def sync(
    therapist_signal: Annotated[
        Path, typer.Argument(help="The therapist's E4 export (zip or folder) or signal CSV.")
    ],
    client_signal: Annotated[
        Path, typer.Argument(help="The client's E4 export (zip or folder) or signal CSV.")
    ],
    kind: Annotated[SignalKind, typer.Option("--kind", help="Signal: eda or hr.")] = SignalKind.eda,
    window: Annotated[
        float,
        typer.Option(
            "--window", help="Window length of the rMEA WCLC figure, seconds.", callback=above(0)
        ),
    ] = 30.0,
    lag: Annotated[
        float, typer.Option("--lag", help="Its largest lag either way, seconds.", min=0)
    ] = 5.0,
    step: Annotated[
        float,
        typer.Option("--step", help="Its step between windows, seconds.", callback=above(0)),
    ] = 10.0,
    surrogates: Annotated[
        int,
        typer.Option("--surrogates", help="Number of surrogates of the headline's test.", min=1),
    ] = 1000,
    method: Annotated[
        SurrogateMethod,
        typer.Option(
            "--method",
            help="Surrogates of the headline's test: circular_shift (calibrated) or "
            "segment_shuffle (liberal below about 20 minutes; for comparison).",
        ),
    ] = SurrogateMethod.circular_shift,
    seed: Annotated[int, typer.Option("--seed", help="Random seed of the surrogates.", min=0)] = 0,
    csv: Annotated[
        Path | None,
        typer.Option(
            "--csv", help="Write the per-window synchrony and chance band here.", show_default=False
        ),
    ] = None,
    mask_motion: Annotated[
        bool,
        typer.Option(
            help="Leave out each person's samples in their own windows of strong movement "
            "(from the accelerometer of an E4 export), as `analyze` does."
        ),
    ] = True,
) -> None:
    """Synchrony of two people's signals, tested against surrogates.

    The headline figure (validated: first-differenced EDA, high-passed heart rate; 15 s
    windows) is tested against circular shifts of the client's series; --window, --lag and
    --step set the rMEA-style WCLC figure shown beside it and the leader.
    Both files are placed on one clock by their own start times (E4 exports carry them).
    Where an E4 export has its accelerometer, that person's movement is masked first, as in
    `analyze` (--no-mask-motion keeps every sample).
    """
    from attunement.model import Session
    from attunement.resonance import ResonanceConfig
    from attunement.sync_table import session_table

    if csv is not None:
        from attunement.outfiles import check_output_file

        check_output_file(csv, field="--csv")
    signals = _read_pair(therapist_signal, client_signal, kind.value)
    config = ResonanceConfig(
        window_s=window,
        lag_s=lag,
        step_s=step,
        n_surrogates=surrogates,
        surrogate_method=method.value,
        seed=seed,
        **({} if mask_motion else {"motion_threshold_g": None}),
    )
    found = session_table(Session("sync", signals=signals), kind=kind.value, config=config)
    rows = list(found.table.itertuples(index=False, name=None))
    if not mask_motion:
        rows = [(n, "no (--no-mask-motion)" if n == "movement masked" else v) for n, v in rows]
    print_pairs(rows)
    if csv is not None:
        from attunement.outfiles import atomic_write
        from attunement.report.csvsafe import safe_csv

        atomic_write(csv, safe_csv(found.band))
        out_console.print(f"per-window synchrony: {csv}")
