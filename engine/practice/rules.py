"""Rules about the practice itself: its online login and its activation record."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from engine.errors import LoginProblem
from engine.practice.setting_rows import SETTING_TRUE, PracticeSetting
from engine.sources.base import Employee


def check_practice_login(settings: Mapping[str, str], employees: Sequence[Employee]) -> Employee:
    """The active employee whose email is the practice login, or LoginProblem saying why."""
    email = (settings.get(PracticeSetting.MYOB_EMAIL) or "").strip()
    if not email:
        raise LoginProblem(
            "The practice has no online login email (Practice my.MYOB settings).",
            "Set it to the email of an active employee; a dedicated employee is best.",
        )
    matches = [e for e in employees if (e.email or "").strip().casefold() == email.casefold()]
    active = [e for e in matches if e.is_active]
    if active:
        return active[0]
    if matches:
        who = " ".join(p for p in (matches[0].first_name, matches[0].last_name) if p)
        raise LoginProblem(
            f"The practice login email {email} belongs to {who or 'an employee'}, "
            "who is marked inactive.",
            "Make that employee active again, or change the practice login email to an "
            "active employee's (a dedicated employee is best).",
        )
    raise LoginProblem(
        f"The practice login email {email} belongs to no employee.",
        "Set it to the email of an active employee in Practice my.MYOB settings.",
    )


def check_signed_in_as(signed_in: str | None, login: Employee) -> None:
    """The person who signed in in the browser must be the practice's online login."""
    login_email = (login.email or "").strip()
    if signed_in is None or signed_in.strip().casefold() == login_email.casefold():
        return
    raise LoginProblem(
        f"You signed in as {signed_in}; this practice's online login is {login_email}.",
        f"Sign in as {login_email}, or change the practice's online login.",
    )


def is_set(settings: Mapping[str, str], name: PracticeSetting) -> bool:
    return (settings.get(name) or "").strip() == SETTING_TRUE
