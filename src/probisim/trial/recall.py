"""The latent recall ring: what the instruments' recall windows average.

A questionnaire asks about the past weeks (PSS-10: the last 30 days), so a visit
needs each participant's latent states (P, A, D) of the days before it, not only
today's. The ring keeps the latent state at the *end* of each of the last
:data:`RING_DAYS` days, one column per day, overwritten day by day. Enrolment
fills it during burn-in (so the first visits recall burn-in days), and the day
loop writes one column at the end of every simulated day.
"""

from __future__ import annotations

import numpy as np

from ..model import DAY_OFFSET

__all__ = ["RING_DAYS", "RecallRing"]

RING_DAYS = 32  # days of latent history kept for instrument recall windows (PSS-10 recalls 30)
N_RECALLED = 3  # the first mood columns, P, A, D (the slow states behind them are not recalled)


class RecallRing:
    """Per-participant latent states at the end of each of the last :data:`RING_DAYS` days.

    ``latents`` is ``(participants, RING_DAYS, 3)``; the state at the end of day d
    is in column ``(d + DAY_OFFSET) % RING_DAYS``. Only P, A and D are kept: the mood
    state's slow columns are not what a questionnaire recalls."""

    def __init__(self, latents: np.ndarray):
        self.latents = latents

    @classmethod
    def filled_with(cls, M: np.ndarray) -> RecallRing:
        """A ring whose every day holds the latent state ``M[:, :3]``: the start of burn-in."""
        return cls(np.repeat(M[:, None, :N_RECALLED], RING_DAYS, axis=1))

    @staticmethod
    def slot(day: int) -> int:
        """Column that holds the state at the end of ``day``."""
        return (day + DAY_OFFSET) % RING_DAYS

    def record(self, day: int, M: np.ndarray) -> None:
        """Store ``M[:, :3]``, the latent state at the end of ``day``."""
        self.latents[:, self.slot(day)] = M[:, :N_RECALLED]

    def window_mean(self, day: int, recall_days: int) -> dict[str, np.ndarray]:
        """Mean latent over the recall window of a visit at the start of ``day``: the
        states at the end of days day-recall .. day-1 (at most RING_DAYS of them)."""
        r = min(recall_days, RING_DAYS)
        idx = [self.slot(day - 1 - k) for k in range(r)]
        mean = self.latents[:, idx, :].mean(axis=1)
        return {"P": mean[:, 0], "A": mean[:, 1], "D": mean[:, 2]}

    def take(self, idx) -> RecallRing:
        """The rings of the participants at ``idx`` (a copy)."""
        return RecallRing(self.latents[idx])

    @classmethod
    def concat(cls, rings: list[RecallRing]) -> RecallRing:
        """The rings of several groups of participants, stacked in order (a copy)."""
        return cls(np.concatenate([r.latents for r in rings]))
