"""The preliminary assessment: from the indicators, a suggested outcome and the reasons for it.

It suggests; the competent authority decides. The rule is the legal test of the 2008 law: act, means
and purpose for an adult; act and purpose suffice for a child. The continuum category matters where
officers most often misjudge consent: deception about the work (B) or its conditions (C, D) is itself
a means, and complete force (A) is too.
"""

from __future__ import annotations

from dataclasses import dataclass

from spean_contracts.vocabulary import Continuum, Outcome
from spean_identification.domain.indicators import Indicators

MEANS_IMPLIED_BY = {
    Continuum.A: "completely forced (continuum A): force is the means",
    Continuum.B: "deceived about the nature of the work (continuum B): deception is the means",
    Continuum.C: "deceived about the conditions of work (continuum C): deception is the means",
    Continuum.D: "deceived about the conditions of work (continuum D): deception is the means",
}


@dataclass(frozen=True)
class Assessment:
    suggested: Outcome
    reasons: tuple[str, ...]


def assess(indicators: Indicators, *, is_child: bool, continuum: Continuum) -> Assessment:
    reasons: list[str] = []
    has_act, has_purpose = bool(indicators.acts), bool(indicators.purposes)
    reasons.append(f"act: {', '.join(sorted(indicators.acts))}" if has_act else "no act of trafficking recorded")
    reasons.append(
        f"purpose: {', '.join(sorted(indicators.purposes))}" if has_purpose else "no exploitative purpose recorded"
    )
    if is_child:
        reasons.append("under 18: act and purpose suffice, means are not needed")
        if has_act and has_purpose:
            return Assessment(Outcome.TRAFFICKING_VICTIM, tuple(reasons))
        return _short_of_trafficking(indicators, reasons)
    if indicators.means:
        reasons.append(f"means: {', '.join(sorted(indicators.means))}")
    elif continuum in MEANS_IMPLIED_BY:
        reasons.append(MEANS_IMPLIED_BY[continuum])
    else:
        reasons.append(f"no means recorded and continuum {continuum} is voluntary migration")
    has_means = bool(indicators.means) or continuum in MEANS_IMPLIED_BY
    if has_act and has_means and has_purpose:
        return Assessment(Outcome.TRAFFICKING_VICTIM, tuple(reasons))
    return _short_of_trafficking(indicators, reasons)


def _short_of_trafficking(indicators: Indicators, reasons: list[str]) -> Assessment:
    if indicators.count:
        reasons.append("some indicators present but the legal test is not met: refer for help as vulnerable")
        return Assessment(Outcome.VULNERABLE_PERSON, tuple(reasons))
    reasons.append("no indicator present")
    return Assessment(Outcome.NOT_TRAFFICKED, tuple(reasons))
