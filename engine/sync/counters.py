"""What the agent has done since it started: for benchmarks, fault tests and support."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Counters:
    #: Upload attempts, retries included: their ratio to the contacts that needed
    #: sending is the re-upload overhead the fault tests bound.
    batch_attempts: int = 0
    batches_accepted: int = 0
    contacts_sent: int = 0
    bytes_sent: int = 0
    #: Batches sent while the one before them was still unanswered (pipelining).
    batches_pipelined: int = 0
    retries: int = 0
    reconciliations: int = 0
    #: Login checks read in full (schema, settings, employees); one whose database no one
    #: wrote to since it last passed is a change-token look, not counted.
    login_checks: int = 0
    #: Sync cycles begun (a quiet one, skipped on an unchanged change token, included).
    cycles: int = 0
