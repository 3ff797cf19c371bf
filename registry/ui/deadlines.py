"""Deadlines as officers read them: the date, working days left, provisional ones marked.

Python rather than Jinja macros: a queue shows one on each of its 50 rows, and a macro imported by a row
template is set up again for every row (a tenth of the 核对 queue's time).
"""

from __future__ import annotations

from datetime import date
from typing import Any, Protocol

from markupsafe import Markup, escape

PROVISIONAL = ('<abbr class="provisional" title="该年度节假日安排尚未公布，期限按暂定规则计算，公布后自动重算">'
               "暂定</abbr>")
SUSPENDED = ('<span class="deadline suspended" title="补正期间办理期限暂停计时，补正后按剩余工作日重新计算">'
             "计时暂停（待补正）</span>")


class Calendar(Protocol):
    """What a page's calendar gives a deadline (registry.ui.templating.PageCalendar)."""

    def left(self, deadline: date) -> int:
        """Working days from today to the deadline."""
        ...


def deadline(cal: Calendar, due: date | None, provisional: bool = False, late_word: str = "已超期") -> Markup:
    """A deadline with its working days left (or how late it is); a dash when there is none."""
    from registry.ui.templating import zh_date

    if due is None:
        return Markup('<span class="muted">—</span>')
    left = cal.left(due)
    tone = " overdue" if left < 0 else " soon" if left <= 3 else ""
    if left > 0:
        when = f"还剩 {left} 个工作日"
    elif left == 0:
        when = "今日到期"
    else:
        when = f"{escape(late_word)} {-left} 个工作日"
    mark = f" {PROVISIONAL}" if provisional else ""
    return Markup(f'<span class="deadline{tone}">{zh_date(due)} {when}{mark}</span>')


def decision_deadline(cal: Calendar, filing: Any) -> Markup:
    """The filing unit's decision deadline (第九条): suspended while the operator corrects; past it is 办理超期."""
    if filing.state.value == "correction_requested":
        return Markup(SUSPENDED)
    return deadline(cal, filing.deadline, filing.deadline_provisional, late_word="办理超期")
