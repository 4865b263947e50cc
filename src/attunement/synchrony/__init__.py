"""Synchrony between therapist and client, always against chance.

- :func:`wclc`: windowed cross-lagged correlation (the semantics of rMEA::MEAccf);
- :func:`surrogate_test`, :func:`pseudo_dyad_test`: the same figure against surrogates;
- :func:`peak_picking`, :func:`leader_follower`: Boker et al.'s peaks and who leads;
- :func:`marci_sci`: Marci et al.'s skin-conductance concordance index.
"""

from attunement.synchrony.concordance import MarciResult, marci_sci
from attunement.synchrony.leader import leader_follower
from attunement.synchrony.peaks import peak_picking
from attunement.synchrony.stats import SurrogateSummary, summarize_surrogates
from attunement.synchrony.surrogates import SurrogateTest, pseudo_dyad_test, surrogate_test
from attunement.synchrony.wclc import WCLCResult, wclc, wclc_batch

__all__ = [
    "MarciResult",
    "SurrogateSummary",
    "SurrogateTest",
    "WCLCResult",
    "leader_follower",
    "marci_sci",
    "peak_picking",
    "pseudo_dyad_test",
    "summarize_surrogates",
    "surrogate_test",
    "wclc",
    "wclc_batch",
]
