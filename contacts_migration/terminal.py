"""How engine status looks on a terminal: one updating line on a TTY, plain lines else."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TextIO

from engine import (
    EngineEvent,
    EventKind,
    FrontEnd,
    Light,
    Reason,
    Status,
    last_confirmed_line,
    state_headline,
    words_for,
)

_MARKS = {Light.GREEN: "●", Light.ORANGE: "◐", Light.RED: "○"}


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def describe(status: Status) -> str:
    text = f"{_MARKS[status.light]} {status.state.value.upper()}: {status.message}"
    progress = status.progress
    if progress is not None and progress.total:
        sent = ""
        if progress.wire_bytes_done:
            sent = (
                f", {progress.wire_bytes_done / 1e6:,.1f} MB sent"
                f" at {progress.wire_bytes_per_second * 8 / 1e6:,.1f} Mbit/s"
            )
        text += (
            f" {progress.done:,}/{progress.total:,}"
            f" ({progress.rate_per_second:,.0f}/s{sent},"
            f" about {format_duration(progress.eta_seconds)} left)"
        )
    if status.set_aside:
        text += f" [{len(status.set_aside)} set aside]"
    return text


def fix_steps(status: Status) -> tuple[str, ...]:
    """The numbered steps for a red status (the troubleshooting dialog's, fitting what was
    observed, in a terminal's words); none while it is green or orange."""
    if status.light is not Light.RED or status.reason is None:
        return ()
    return words_for(status.reason, status.observed).steps_for(FrontEnd.CLI)


def for_it(status: Status) -> tuple[str, ...]:
    """The settings-file details of a red status, for IT (the dialog's "For IT")."""
    if status.light is not Light.RED or status.reason is None:
        return ()
    return words_for(status.reason, status.observed).for_it


def describe_long(
    status: Status, now: float | None = None, settings_file: Path | None = None
) -> str:
    """The status in full; a red one with the steps to fix it, and where the settings
    file is (the steps refer to it)."""
    now = time.time() if now is None else now
    lines = [describe(status), f"  {state_headline(status, now)}"]
    lines.append(f"  {last_confirmed_line(status, now)}")
    if status.detail:
        lines.append(f"  Details: {status.detail}")
    if status.fix:
        lines.append(f"  What to do: {status.fix}")
    if status.online_count is not None:
        lines.append(f"  Contacts online: {status.online_count:,}")
    for item in status.set_aside[:20]:
        lines.append(f"  Set aside: contact {item.contact_id}: {item.reason}")
    if len(status.set_aside) > 20:
        lines.append(f"  … and {len(status.set_aside) - 20} more set aside")
    if status.missing_note:
        lines.append(f"  Note: {status.missing_note}")
    steps = fix_steps(status)
    if steps:
        lines.append("  How to fix it:")
        lines.extend(f"    {number}. {step}" for number, step in enumerate(steps, 1))
        details = for_it(status)
        if details or settings_file is not None:
            lines.append("  For IT:")
            lines.extend(f"    {line}" for line in details)
        if settings_file is not None:
            lines.append(f"    Settings file: {settings_file}")
    return "\n".join(lines)


class ProgressPrinter:
    """An engine listener that keeps the person at the terminal informed."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream or sys.stderr
        self._tty = self._stream.isatty()
        self._last_line = ""
        self._last_key: tuple[str, str] | None = None
        self._width = 0

    def __call__(self, event: EngineEvent) -> None:
        if event.kind is not EventKind.STATUS or event.status.reason is Reason.STOPPED:
            return  # the end of a run is said by the command itself
        line = describe(event.status)
        if self._tty:
            padded = line.ljust(self._width)
            self._width = len(line)
            self._stream.write("\r" + padded)
            self._stream.flush()
        else:
            key = (event.status.state.value, event.status.message)
            if key != self._last_key:
                self._stream.write(line + "\n")
                self._stream.flush()
            self._last_key = key
        self._last_line = line

    def finish(self) -> None:
        if self._tty and self._last_line:
            self._stream.write("\n")
            self._stream.flush()
