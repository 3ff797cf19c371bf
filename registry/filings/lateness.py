"""The operator's late filing (逾期备案): two dates, two rules, each counted from its own date.

* 第七条 of the Beijing notice (in force since 2013): within 30 days of 竣工验收合格 (`acceptance_date`).
* 799号令 第十四条 (in force 2025-04-01): within 30 days of going into use (`system_in_use_date`); a
  system already in use before 2025-04-01 had 90 days from then, so its last day was 2025-06-30. A filing
  submitted before 2025-04-01 is not late under 799号令 (it was not yet in force).

A change filing (第十条: re-filed "依照…第七条") counts both rules from its date of change (`change_date`).
`late_days` is the larger of the two and `late` is set when either is late: 799号令's grace excuses
lateness under its own rule only, so a system whose 30 days after 竣工验收合格 had run out before
2025-04-01 and that filed in the grace window is on time under 799号令 (`late_days_in_use` = 0) but still
late under 第七条 (`late_days_acceptance` > 0), and is flagged 逾期备案.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from registry.filings.models import Filing, FilingForm, FilingKind

REGULATION_799_START = date(2025, 4, 1)
# "within 90 days of 2025-04-01" (SPEC §5): the 90th day after it, inclusive, is the last day on time.
REGULATION_799_GRACE_END = REGULATION_799_START + timedelta(days=90)


@dataclass(frozen=True)
class Lateness:
    """Days late under each rule; the filing's `late_days` is the larger."""

    acceptance: int
    in_use: int

    @property
    def days(self) -> int:
        """The larger of the two rules' counts (what `late_days` stores)."""
        return max(self.acceptance, self.in_use)


def days_after_acceptance(accepted: date, submitted: date, allowed_days: int) -> int:
    """第七条: days past `allowed_days` after 竣工验收合格 (no grace)."""
    return max(0, (submitted - (accepted + timedelta(days=allowed_days))).days)


def days_after_in_use(in_use: date, submitted: date, allowed_days: int) -> int:
    """799号令 第十四条: days past `allowed_days` after going into use, with the grace for older systems."""
    if submitted < REGULATION_799_START:
        return 0
    limit = in_use + timedelta(days=allowed_days)
    if in_use < REGULATION_799_START:
        limit = max(limit, REGULATION_799_GRACE_END)
    return max(0, (submitted - limit).days)


def of(form: FilingForm, kind: FilingKind, submitted: date, allowed_days: int) -> Lateness:
    """Both rules' lateness of a form submitted on `submitted` (a change counts from its date of change)."""
    if kind == FilingKind.change and form.change_date is not None:
        start_acceptance: date | None = form.change_date
        start_in_use = form.change_date
    else:
        start_acceptance, start_in_use = form.acceptance_date, form.system_in_use_date
    acceptance = days_after_acceptance(start_acceptance, submitted, allowed_days) if start_acceptance else 0
    return Lateness(acceptance, days_after_in_use(start_in_use, submitted, allowed_days))


def apply(filing: Filing, lateness: Lateness) -> None:
    """Store both rules' counts on the filing, and `late`/`late_days` as the larger."""
    filing.late_days_acceptance, filing.late_days_in_use = lateness.acceptance, lateness.in_use
    filing.late_days, filing.late = lateness.days, lateness.days > 0


def same_dates(day: date, submitted: date, allowed_days: int) -> int:
    """`late_days` of a first filing whose 竣工验收合格 and going-into-use dates are the same day."""
    return max(days_after_acceptance(day, submitted, allowed_days), days_after_in_use(day, submitted, allowed_days))
