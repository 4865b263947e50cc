"""Moments of being seen: the therapist's empathy met by the client's response.

- :func:`~attunement.moments.empathic.empathic_moments`: the therapist's coded turns rated
  highly empathic (complex reflections; EPITOME level 2), each with its time and evidence;
- :mod:`~attunement.moments.physiology`, :mod:`~attunement.moments.voice`,
  :mod:`~attunement.moments.words`: the client's response after each of the therapist's turns
  (skin conductance, heart rate, local synchrony; pitch and loudness variability; what the
  client said next);
- :func:`~attunement.moments.shifts.shift_test`: moments against the other turns, tested
  against circular shifts of the moment labels;
- :func:`~attunement.moments.session.being_seen`: all of it for one session.

The measurements return a :class:`~attunement.synchrony.result.MeasurementResult`: a long
``.table``, a one-row ``.summary`` and the ``.method`` that ran.
"""

from attunement.moments.empathic import EmpathicMoments, empathic_moments
from attunement.moments.session import BeingSeen, being_seen
from attunement.moments.shifts import ShiftTest, shift_test

__all__ = [
    "BeingSeen",
    "EmpathicMoments",
    "ShiftTest",
    "being_seen",
    "empathic_moments",
    "shift_test",
]
