""" "Sign in again…": the tray menu's, the status window's and troubleshooting's one button
when the online sign-in ended (reason "sign in again"). The browser sign-in runs as a
task on the Qt loop; the new sign-in is kept only if it is the practice's online login,
and the agent (here or in its own process) picks it up by itself and resumes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from engine import (
    AppPaths,
    CheckId,
    Engine,
    EngineConfig,
    SignInStarted,
    UserFacingError,
    config_from_answers,
    save_setup,
    sign_in_with_browser,
)
from gui.text import tr
from gui.wizard_task import problem_text


async def sign_in_again(
    paths: AppPaths,
    config: EngineConfig,
    say: Callable[[str], None],
    open_browser: Callable[[str], bool] | None = None,
) -> bool:
    """Sign in in the browser and keep the sign-in; says each step through ``say``."""

    def started(event: SignInStarted) -> None:
        if event.browser_opened:
            say(tr("Sign in in the browser that opened, with the practice's online login."))
        else:
            say(tr("No browser could be started. Open this address to sign in: ") + event.url)

    try:
        tokens = await sign_in_with_browser(
            config.online_url, network=config.network, started=started, open_browser=open_browser
        )
        fresh = await asyncio.to_thread(
            config_from_answers,
            paths,
            source=config.source,
            online_url=config.online_url,
            sign_in=tokens,
        )
        checker = Engine(fresh)
        try:
            checks = await checker.preflight()
        finally:
            await checker.aclose()
        refused = [c for c in checks if c.check is CheckId.PRACTICE_LOGIN and not c.ok]
        if refused:
            say(problem_text(refused[0].problem, refused[0].fix))
            return False
        await asyncio.to_thread(save_setup, paths, fresh)
    except UserFacingError as error:
        say(problem_text(error.problem, error.fix))
        return False
    say(tr("Signed in as {email}. The sync resumes on its own.").format(email=tokens.email))
    return True
