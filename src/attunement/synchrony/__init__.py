"""Synchrony between therapist and client, always against chance.

- :func:`wclc`: windowed cross-lagged correlation (the semantics of rMEA::MEAccf);
- :func:`headline_test`: the validated headline EDA and heart-rate figures with their
  calibrated chance test;
- :func:`surrogate_test`, :func:`pseudo_dyad_test`: a figure against surrogates;
- :func:`peak_picking`, :func:`leader_follower`: Boker et al.'s peaks and who leads;
- :func:`marci_sci`: Marci et al.'s skin-conductance concordance index.

Each returns a :class:`MeasurementResult` (:mod:`attunement.synchrony.result`): a long
``.table``, a one-row ``.summary`` and the ``.method`` that ran.
"""

from attunement.synchrony.concordance import MarciResult, marci_sci
from attunement.synchrony.headline import HeadlineTest, headline_test
from attunement.synchrony.leader import LeaderResult, leader_follower
from attunement.synchrony.peaks import PeakResult, peak_picking
from attunement.synchrony.pseudo_dyads import PseudoDyadTest, pseudo_dyad_test
from attunement.synchrony.result import MeasurementResult, Method
from attunement.synchrony.stats import SurrogateSummary, summarize_surrogates
from attunement.synchrony.surrogates import SurrogateTest, surrogate_test
from attunement.synchrony.wclc import WCLCResult, wclc, wclc_batch

__all__ = [
    "HeadlineTest",
    "LeaderResult",
    "MarciResult",
    "MeasurementResult",
    "Method",
    "PeakResult",
    "PseudoDyadTest",
    "SurrogateSummary",
    "SurrogateTest",
    "WCLCResult",
    "headline_test",
    "leader_follower",
    "marci_sci",
    "peak_picking",
    "pseudo_dyad_test",
    "summarize_surrogates",
    "surrogate_test",
    "wclc",
    "wclc_batch",
]
