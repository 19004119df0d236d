"""The daily run (`cvas tick`): each app contributes steps; every step is safe to repeat or to miss a day."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.module_loading import import_string

from cvas.core.actors import Actor


@dataclass
class StepResult:
    name: str
    lines: list[str] = field(default_factory=list)


# Each step: (actor, today) -> StepResult. Apps add theirs here, in the order they must run.
STEPS: list[str] = [
    "cvas.licensing.services.tick_expire_licences",
    "cvas.registry.services.tick_recover_interrupted_imports",
    "cvas.registry.services.tick_end_subscribers",
    "cvas.registry.retention.tick_purge_personal_data",
    "cvas.compliance.services.tick_return_reminders",
    "cvas.compliance.services.tick_repeated_late_returns",
    "cvas.compliance.services.tick_licence_expiry_reminders",
    "cvas.lookup.services.tick_publish_exports",  # last: the exports show the day's changes
]


def run(*, actor: Actor, today: dt.date) -> list[StepResult]:
    results = []
    for path in STEPS:
        step: Callable[..., StepResult] = import_string(path)
        results.append(step(actor=actor, today=today))
    return results
