"""Every reason has all of its words in the one table, and every front end can say every
step in its own words."""

from __future__ import annotations

import string

import pytest

from engine.texts import ACTION_WORDS, NOT_RESPONDING, REASON_WORDS, Action, FrontEnd, Reason


def placeholders(step: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(step) if field is not None}


def test_every_reason_has_its_problem_fix_meaning_and_steps() -> None:
    assert set(REASON_WORDS) == set(Reason)
    for reason, words in REASON_WORDS.items():
        assert words.problem.endswith(".") and words.fix, reason
        assert words.meaning and len(words.steps) >= 2, reason
    assert NOT_RESPONDING.problem and NOT_RESPONDING.fix


def test_every_step_names_only_known_actions_and_each_front_end_words_them_all() -> None:
    known = {action.value for action in Action}
    used = set().union(*(placeholders(s) for w in REASON_WORDS.values() for s in w.steps))
    assert used <= known, f"unknown actions in steps: {sorted(used - known)}"
    assert used == known, f"actions no step uses: {sorted(known - used)}"
    for front_end in FrontEnd:
        assert set(ACTION_WORDS[front_end]) == set(Action), front_end


@pytest.mark.parametrize("front_end", list(FrontEnd))
def test_steps_render_as_plain_sentences(front_end: FrontEnd) -> None:
    for reason, words in REASON_WORDS.items():
        steps = words.steps_for(front_end)
        assert len(steps) == len(words.steps), reason
        for step in steps:
            assert "{" not in step and "}" not in step, step
            assert step[0].isupper() and step.endswith("."), step


def test_the_gui_presses_buttons_and_the_cli_runs_commands() -> None:
    gui = " ".join(REASON_WORDS[Reason.DATABASE_UNREACHABLE].steps_for(FrontEnd.GUI))
    cli = " ".join(REASON_WORDS[Reason.DATABASE_UNREACHABLE].steps_for(FrontEnd.CLI))
    assert "Press Retry now." in gui and "Retry now" not in cli
    assert "contacts-migration status" in cli
    stopped = REASON_WORDS[Reason.STOPPED]
    assert stopped.steps_for(FrontEnd.CLI)[0] == "Run 'contacts-migration run' to start it here."
    assert stopped.steps_for(FrontEnd.GUI)[0] == "Press Retry now to start it here."
