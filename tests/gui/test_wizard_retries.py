"""While the wizard's calls ride out a failing online service (up to the retry deadline),
the wizard says so in a plain line updated on each retry, not just a spinner."""

from __future__ import annotations

from pathlib import Path

from engine.api import CheckId
from engine.local.config import EngineConfig
from engine.local.paths import app_paths
from engine.online.client import Credentials
from engine.sync.retry import RetryNotice
from tests.engine.sync.test_one_shot_retry import closed_port
from tests.gui.conftest import Runner, until
from tests.gui.support import Button, can_go_forward, make_controller, press
from tests.gui.test_wizard import open_wizard


def test_the_checks_say_each_retry_of_a_service_that_refuses(
    run_gui: Runner[None], practice_db: Path
) -> None:
    config = EngineConfig(
        source=f"sqlite:{practice_db}",
        online_url=f"http://127.0.0.1:{closed_port()}",  # nothing listens: refused
        credentials=Credentials("client", "secret"),
        # Long enough that two retries (waits of at most 0.5 s) always fit before the
        # deadline, however busy the machine: the test waits for them, not for a time.
        retry_for=15.0,
        max_backoff=0.5,
        state_file=app_paths().state_file,
    )

    async def scenario() -> None:
        controller = make_controller(config)
        wizard = await open_wizard(controller)
        page = wizard.preflight_page
        shown: list[str] = []  # the line as it read at each retry
        seen: list[bool] = []  # and whether it, the spinner and the checks were going

        def said(_notice: RetryNotice) -> None:
            shown.append(page.task.waiting.text())
            seen.append(page.task.waiting.isVisible() and page.spinner.spinning and page.checking)

        page.task.retried.connect(said)
        press(wizard, Button.NextButton)  # Yes: the checks start
        await until(lambda: len(shown) >= 2, what="two retries said in the wizard")
        assert all(seen)
        first, second = shown[:2]
        assert first.startswith("The online service is not accepting connections. Trying again")
        assert "(attempt 2;" in first and "(attempt 3;" in second
        assert "it keeps trying for up to 15 s" in first
        assert "127.0.0.1" not in first and "Error" not in first

        await until(lambda: not page.checking, what="the checks to give up at the deadline")
        assert not page.task.waiting.isVisible()  # nothing is being retried any more
        online = [row for row in page.rows if row.check.check is CheckId.ONLINE]
        assert online and not online[0].check.ok
        assert "Gave up" in online[0].detail.text() and online[0].detail.isVisible()
        assert not can_go_forward(wizard)
        assert page.retry.isEnabled()
        wizard.reject()
        await controller.shutdown()

    run_gui(scenario)
