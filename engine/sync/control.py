"""How the agent's loop is stopped or started over: exceptions that travel inside the
agent and never reach a person (the errors a person sees are in ``engine/errors.py``)."""

from __future__ import annotations

from engine.status.model import Fault


class LeaseLost(Exception):
    """This agent was fenced off online; it must stop writing and start over."""


class LockLost(LeaseLost):
    """The lock's database session ended: stop writing, then take the lock again."""


class Stopping(Exception):
    """Raised inside the agent's coroutines when a stop was asked for."""


class FaultPersisted(Exception):
    """In one-shot mode (``sync --once``) a fault that would turn the light red ends the
    run instead of being retried for ever."""

    def __init__(self, fault: Fault) -> None:
        super().__init__(fault.detail or fault.reason.value)
        self.fault = fault
