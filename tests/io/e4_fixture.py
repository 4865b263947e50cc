"""Small but realistic Empatica E4 exports, written exactly as E4 connect writes them.

Use :func:`write_e4_export` for a whole export (a zip, or its unzipped folder) and
:func:`make_e4_data` when a test needs the values that were written. Pass ``eda=`` / ``hr=``
arrays to write chosen signals, e.g. one member of a simulated coupled pair.

Tests in ``tests/io`` import it as ``from e4_fixture import write_e4_export`` (pytest puts a
test file's folder on ``sys.path``); from elsewhere, put ``tests/io`` on ``sys.path`` first.

The layout (one file per sensor; ``HR.csv`` starts 10 s after the others)::

    EDA.csv   1614680000.000000 / 4.000000 / 0.312841 ...           (µS, 6 decimals)
    HR.csv    1614680010.000000 / 1.000000 / 72.50 ...              (bpm, 2 decimals)
    BVP.csv   1614680000.000000 / 64.000000 / -12.34 ...            (2 decimals)
    TEMP.csv  1614680000.000000 / 4.000000 / 31.57 ...              (°C, 2 decimals)
    ACC.csv   1614680000.000000, 1614680000.000000, 1614680000.000000 /
              32.000000, 32.000000, 32.000000 / -12,20,61 ...      (1/64 g, integers)
    IBI.csv   1614680000.000000, IBI / 12.343750,0.812500 ...       (offset s, interval s)
    tags.csv  1614680030.25 ...                                     (Unix s, 2 decimals)
    info.txt  a description of the files
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = [
    "HR_DELAY_S",
    "INFO_TXT",
    "E4Data",
    "make_e4_data",
    "write_e4_export",
    "write_e4_files",
    "write_zip",
]

#: HR.csv starts this many seconds after the other files.
HR_DELAY_S = 10.0

RATES = {"EDA.csv": 4.0, "HR.csv": 1.0, "BVP.csv": 64.0, "TEMP.csv": 4.0, "ACC.csv": 32.0}

INFO_TXT = """\
.csv files in this archive are in the following format:
The first row is the initial time of the session expressed as unix timestamp in UTC.
The second row is the sample rate expressed in Hz.

TEMP.csv
Data from temperature sensor expressed degrees on the Celsius (°C) scale.

EDA.csv
Data from the electrodermal activity sensor expressed as microsiemens (μS).

BVP.csv
Data from photoplethysmograph.

ACC.csv
Data from 3-axis accelerometer sensor. The accelerometer is configured to measure acceleration \
in the range [-2g, 2g]. Therefore the unit in this file is 1/64g.
Data from x, y, and z axis are respectively in first, second, and third column.

IBI.csv
Time between individuals heart beats extracted from the BVP signal.
No sample rate is needed for this file.
The first column is the time (respect to the initial time) of the detected inter-beat interval \
expressed in seconds (s).
The second column is the duration in seconds (s) of the detected inter-beat interval (i.e., the \
distance in seconds from the previous beat).

HR.csv
Average heart rate extracted from the BVP signal.The first row is the initial time of the session \
expressed as unix timestamp in UTC.
The second row is the sample rate expressed in Hz.

tags.csv
Event mark times.
Each row corresponds to a physical button press on the device; the same time as the status LED \
is first illuminated.
The time is expressed as a unix timestamp in UTC and it is synchronized with initial time of the \
session indicated in the related data files from the corresponding session.
"""


@dataclass(frozen=True)
class E4Data:
    """The values of one export, exactly as written (after E4's rounding).

    ``hr`` starts at ``start + HR_DELAY_S``; every other signal at ``start``. IBI rows are
    ``start + ibi_offsets`` (multiples of 1/64 s) with ``ibi_intervals``; ``texts`` maps each
    file name to its content.
    """

    start: float
    eda: np.ndarray
    hr: np.ndarray
    bvp: np.ndarray
    temp: np.ndarray
    acc: np.ndarray
    ibi_offsets: np.ndarray
    ibi_intervals: np.ndarray
    tags: tuple[float, ...]
    texts: dict[str, str]


def _column(start: float, rate: float, cells: list[str], width: int = 1) -> str:
    head = ", ".join([f"{start:.6f}"] * width) + "\n" + ", ".join([f"{rate:.6f}"] * width)
    return head + "\n" + "".join(c + "\n" for c in cells)


def _written(cells: list[str]) -> np.ndarray:
    return np.array(cells, dtype=float)


def _beats(hr: np.ndarray, seconds: float, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """IBI rows as the E4 writes them: beats on a 1/64 s grid; a row needs two detected beats."""
    times = [float(rng.uniform(0.3, 1.0))]
    while True:
        i = int(np.clip(times[-1] - HR_DELAY_S, 0, len(hr) - 1))
        nxt = times[-1] + 60.0 / hr[i] * (1 + 0.03 * rng.standard_normal())
        if nxt >= seconds:
            break
        times.append(nxt)
    beats = np.round(np.array(times) * 64) / 64
    detected = rng.random(beats.size) < 0.85
    keep = np.flatnonzero(detected[1:] & detected[:-1] & (np.diff(beats) > 0)) + 1
    return beats[keep], beats[keep] - beats[keep - 1]


def make_e4_data(
    *,
    start: float,
    seconds: float,
    seed: int,
    eda: np.ndarray | None = None,
    hr: np.ndarray | None = None,
) -> E4Data:
    """Simulate ``seconds`` of an E4 recording that starts at Unix time ``start``.

    Parameters
    ----------
    start : float
        Unix seconds of the first sample (E4 starts are whole seconds).
    seconds : float
        Length of the recording.
    seed : int
        Seed of the numpy random generator: the same seed writes the same files.
    eda : array, optional
        EDA samples at 4 Hz (µS) to write instead of simulated ones (rounded to 6 decimals).
    hr : array, optional
        Heart rate at 1 Hz (bpm), starting 10 s after ``start``, to write instead of simulated
        values (rounded to 2 decimals); the IBI and BVP files follow it.

    Returns
    -------
    E4Data
    """
    rng = np.random.default_rng(seed)
    n4, n64, n32 = int(seconds * 4), int(seconds * 64), int(seconds * 32)
    if eda is None:
        t = np.arange(n4) / 4.0
        tonic = 0.35 + 0.05 * np.sin(2 * np.pi * t / 97.0) + np.cumsum(rng.normal(0, 0.002, n4))
        phasic = np.zeros(n4)
        for onset in rng.uniform(0, max(seconds, 1), size=max(1, int(seconds / 20))):
            lag = np.clip(t - onset, 0, None)
            phasic += 0.15 * (np.exp(-lag / 4.0) - np.exp(-lag / 0.75)) * (t > onset)
        eda = np.clip(tonic + phasic + rng.normal(0, 0.003, n4), 0, None)
    if hr is None:
        n_hr = max(int(seconds - HR_DELAY_S), 0)
        hr = 72 + 4 * np.sin(2 * np.pi * np.arange(n_hr) / 45.0) + rng.normal(0, 0.8, n_hr)
    eda_cells = [f"{x:.6f}" for x in np.asarray(eda, dtype=float)]
    hr_cells = [f"{x:.2f}" for x in np.asarray(hr, dtype=float)]
    hr_w = _written(hr_cells) if hr_cells else np.array([72.0])
    hr_at = hr_w[np.clip(np.arange(n64) // 64 - int(HR_DELAY_S), 0, len(hr_w) - 1)]
    phase = 2 * np.pi * np.cumsum(hr_at / 60.0) / 64.0
    bvp = 40 * np.sin(phase) + 15 * np.sin(2 * phase + 0.8) + rng.normal(0, 2.0, n64)
    bvp_cells = [f"{x:.2f}" for x in bvp]
    temp = 31.2 + 0.6 * (1 - np.exp(-np.arange(n4) / 4.0 / 300.0)) + rng.normal(0, 0.01, n4)
    temp_cells = [f"{x:.2f}" for x in temp]
    # a wrist at rest: gravity (about 64 units = 1 g) plus sensor noise of one unit
    acc = np.array([-12, 20, 61]) + rng.integers(-1, 2, size=(n32, 3))
    acc = np.clip(acc, -128, 127).astype(int)
    acc_cells = [f"{x},{y},{z}" for x, y, z in acc]
    offsets, intervals = _beats(hr_w, seconds, rng)
    ibi_rows = "".join(f"{o:.6f},{i:.6f}\n" for o, i in zip(offsets, intervals, strict=True))
    tags = tuple(float(f"{start + seconds * f:.2f}") for f in (0.25, 0.75))
    texts = {
        "EDA.csv": _column(start, 4.0, eda_cells),
        "HR.csv": _column(start + HR_DELAY_S, 1.0, hr_cells),
        "BVP.csv": _column(start, 64.0, bvp_cells),
        "TEMP.csv": _column(start, 4.0, temp_cells),
        "ACC.csv": _column(start, 32.0, acc_cells, width=3),
        "IBI.csv": f"{start:.6f}, IBI\n" + ibi_rows,
        "tags.csv": "".join(f"{t:.2f}\n" for t in tags),
        "info.txt": INFO_TXT,
    }
    return E4Data(
        start=start,
        eda=_written(eda_cells),
        hr=_written(hr_cells),
        bvp=_written(bvp_cells),
        temp=_written(temp_cells),
        acc=acc.astype(float),
        ibi_offsets=offsets,
        ibi_intervals=intervals,
        tags=tags,
        texts=texts,
    )


def write_zip(dest: Path, files: dict[str, str | bytes]) -> Path:
    """Write ``files`` (member name -> text or bytes) as a deflated zip at ``dest``."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, content in files.items():
            zf.writestr(name, content.encode() if isinstance(content, str) else content)
    return dest


def write_e4_files(
    dest: Path,
    files: dict[str, str | bytes],
    *,
    as_zip: bool = True,
    subfolder: str | None = None,
) -> Path:
    """Write an export's files as a zip at ``dest`` or into the folder ``dest``.

    ``subfolder`` puts the files inside one folder of the zip (or of ``dest``), as some
    downloads and unzipping tools do.
    """
    dest = Path(dest)
    prefix = f"{subfolder}/" if subfolder else ""
    if as_zip:
        return write_zip(dest, {prefix + name: content for name, content in files.items()})
    folder = dest / subfolder if subfolder else dest
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        target = folder / name
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8", newline="\n")
    return dest


def write_e4_export(
    dest: Path,
    *,
    start: float,
    seconds: float,
    seed: int,
    as_zip: bool = True,
    eda: np.ndarray | None = None,
    hr: np.ndarray | None = None,
) -> Path:
    """Write a simulated E4 export as E4 connect delivers it.

    Parameters
    ----------
    dest : Path
        The zip file to write (``as_zip=True``), or the folder to create and fill.
    start, seconds, seed, eda, hr
        As for :func:`make_e4_data`.
    as_zip : bool
        Write a zip (the download) rather than a folder (the unzipped download).

    Returns
    -------
    Path
        ``dest``.

    Examples
    --------
    >>> import tempfile
    >>> out = write_e4_export(Path(tempfile.mkdtemp()) / "e4.zip", start=1614680000.0,
    ...                       seconds=120, seed=1)
    >>> sorted(zipfile.ZipFile(out).namelist())[:3]
    ['ACC.csv', 'BVP.csv', 'EDA.csv']
    """
    data = make_e4_data(start=start, seconds=seconds, seed=seed, eda=eda, hr=hr)
    return write_e4_files(dest, data.texts, as_zip=as_zip)
