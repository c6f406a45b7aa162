"""Training a model without labels, robust to what Splink 5 stops on.

The steps and their order follow Splink's advice: the prior from deterministic rules, u from
random pairs, m by expectation maximisation (EM) in sessions blocked on different columns, each
session estimating every comparison but the ones its blocking rule uses, and the sessions'
estimates combined by their median. Two things differ from calling Splink's training methods
one after another on one linker:

* Each EM session runs on a linker of its own, started from the same prior and u values, and
  its m values are combined here (median per level, as Splink does). That makes a session
  repeatable on its own, which the next point needs.
* Splink 5 stops an EM session with a ``ValueError`` when an m value underflows to zero: a level
  that only non-matching pairs ever show (in clean data, duplicates may never differ in gender)
  has its m shrink by many orders of magnitude each iteration. The session is then run again
  with fewer iterations, stopping before the underflow, and every m is floored at
  ``M_FLOOR`` afterwards.
"""

from __future__ import annotations

import copy
import logging
import statistics
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, Final

from splink import Linker
from splink.internals.exceptions import EMTrainingException
from splink.internals.splink_dataframe import SplinkDataFrame

from schakel.entities.linkage.settings import KindSettings

logger = logging.getLogger(__name__)

#: Random pairs for estimating u. More pairs estimate rare levels better but take longer; this
#: is where training spends most of its time on small data sets.
U_SAMPLE_PAIRS: Final = 2_000_000
#: The smallest m a trained model holds. EM puts m near zero for a level that none of its
#: training matches showed; on a small data set that may be a handful of pairs, and an m of
#: zero would make one differing field (a typing error in a date) a veto on any match.
M_FLOOR: Final = 1e-3
#: The smallest u: Splink's own value for a level no random pair showed.
U_FLOOR: Final = 1e-6
#: Iterations for an EM session that underflowed at the full count, tried in turn.
_FEWER_ITERATIONS: Final = (12, 6, 3, 1)


def train(
    records: SplinkDataFrame,
    settings: KindSettings,
    *,
    records_count: int,
    seed: int,
    phase: Callable[[str, float], AbstractContextManager[None]],
) -> dict[str, Any]:
    """A trained model (Splink's settings dictionary with m, u and the prior) for ``records``.

    ``phase(name, share_done)`` is entered as a context manager around each step, for timing
    and progress.
    """
    linker = Linker(records, settings.to_splink(), log_level=None)
    with phase("estimate_prior", 0.1):
        linker.training.estimate_probability_two_random_records_match(
            [rule.to_splink() for rule in settings.deterministic], recall=settings.recall
        )
    pairs = records_count * (records_count - 1) / 2
    with phase("estimate_u", 0.15):
        # Splink samples in chunks to stop early once every level has been seen often enough;
        # when the sample is every pair there is nothing to stop early from.
        linker.training.estimate_u_using_random_sampling(
            max_pairs=U_SAMPLE_PAIRS, seed=seed, num_chunks=1 if pairs <= U_SAMPLE_PAIRS else 10
        )
    base = linker.misc.save_model_to_json()
    # No deterministic pair at all (no identity numbers or dates of birth in the data) would
    # make the prior zero, which no evidence can overcome and Splink cannot take the log of:
    # assume at least one pair matches.
    base["probability_two_random_records_match"] = max(
        base["probability_two_random_records_match"], 1 / max(pairs, 1.0)
    )
    sessions = []
    for number, block in enumerate(settings.training, start=1):
        with phase(f"estimate_m_{number}", 0.4 + 0.2 * (number - 1) / len(settings.training)):
            session = _em_session(records, base, block.to_splink())
            while session is None and block.fallback is not None:
                block = block.fallback
                session = _em_session(records, base, block.to_splink())
            # No pairs under the rule (no record has the column, or no two share a value):
            # the other sessions estimate what this one would have.
            sessions.append(base if session is None else session)
    return complete_model(_combine_sessions(base, sessions))


def _em_session(records: SplinkDataFrame, base: dict[str, Any], rule: Any) -> dict[str, Any] | None:
    """The model one EM session trains, or None when ``rule`` finds no pairs."""
    for iterations in (base["max_iterations"], *_FEWER_ITERATIONS):
        model = copy.deepcopy(base)
        model["max_iterations"] = iterations
        linker = Linker(records, model, log_level=None)
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(
                rule, estimate_without_term_frequencies=True
            )
        except EMTrainingException:
            logger.info("EM session had no pairs")
            return None
        except ValueError as error:
            if "below the minimum allowed value" not in str(error):
                raise
            logger.info("EM session underflowed; running it with fewer iterations")
            continue
        return linker.misc.save_model_to_json()
    # One iteration starts from Splink's default m values and cannot underflow; unreachable
    # unless Splink changes, in which case the session's estimates are left out.
    logger.warning("EM session kept underflowing; its estimates are left out")
    return base


def _combine_sessions(base: dict[str, Any], sessions: list[dict[str, Any]]) -> dict[str, Any]:
    """``base`` with each level's m the median of the sessions that estimated it."""
    model = copy.deepcopy(base)
    for position, comparison in enumerate(model["comparisons"]):
        for index, level in enumerate(comparison["comparison_levels"]):
            if level.get("is_null_level") or level.get("fix_m_probability"):
                continue
            estimates = [
                session["comparisons"][position]["comparison_levels"][index].get("m_probability")
                for session in sessions
            ]
            found = [float(value) for value in estimates if value is not None]
            if found:
                level["m_probability"] = statistics.median(found)
    return model


def complete_model(model: dict[str, Any]) -> dict[str, Any]:
    """Every level with an m of at least ``M_FLOOR`` and a u of at least ``U_FLOOR``, written
    in, so the model scores the same wherever it is loaded.

    Splink predicts with 1e-6 for an m or u that no training pair showed but leaves it out of
    the saved settings. A comparison none of whose levels has an m (a column no two training
    records both had) gets m equal to u on every level: it weighs nothing until a model is
    trained on data that has it.
    """
    for comparison in model["comparisons"]:
        levels = [
            level for level in comparison["comparison_levels"] if not level.get("is_null_level")
        ]
        untrained = all(level.get("m_probability") is None for level in levels)
        for level in levels:
            u = max(float(level.get("u_probability") or 0.0), U_FLOOR)
            m = level.get("m_probability")
            level["u_probability"] = u
            level["m_probability"] = u if untrained else max(float(m or 0.0), M_FLOOR)
    return model
