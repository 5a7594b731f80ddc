"""Everything one engine run needs, resolved from settings, secrets and flags."""

from __future__ import annotations

import socket
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from engine.local.settings import (
    DEFAULT_BATCH_BYTES,
    DEFAULT_LIVENESS_SECONDS,
    DEFAULT_MAX_BACKOFF_SECONDS,
    DEFAULT_PAGE_SIZE,
    DEFAULT_POLL_SECONDS,
    DEFAULT_RECONCILE_SECONDS,
    DEFAULT_RETRY_FOR_SECONDS,
)
from engine.online.client import Credentials
from engine.online.network import NetworkOptions
from engine.status.model import FAULT_GRACE_SECONDS


@dataclass(frozen=True)
class EngineConfig:
    source: str
    online_url: str
    credentials: Credentials
    mapping_file: Path | None = None
    poll_interval: float = DEFAULT_POLL_SECONDS
    reconcile_interval: float = DEFAULT_RECONCILE_SECONDS
    batch_bytes: int = DEFAULT_BATCH_BYTES
    page_size: int = DEFAULT_PAGE_SIZE
    #: Proxy and extra CA for the online service (``[online] proxy`` / ``ca_file``).
    network: NetworkOptions = field(default_factory=NetworkOptions)
    machine: str = field(default_factory=socket.gethostname)
    agent_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    #: Where the latest status is written for other processes; None: not written.
    state_file: Path | None = None
    fault_grace: float = FAULT_GRACE_SECONDS
    max_backoff: float = DEFAULT_MAX_BACKOFF_SECONDS
    #: How long a one-shot call (verify, activate, sync --once...) keeps retrying.
    retry_for: float = DEFAULT_RETRY_FOR_SECONDS
    #: How often a standby agent tries to take over the single-agent lock.
    standby_poll: float = 2.0
    #: How often the practice login email is checked against the employees.
    login_check_interval: float = 10.0
    #: How often both sides are confirmed by a real round trip, whatever the agent does.
    liveness_interval: float = DEFAULT_LIVENESS_SECONDS
    #: A liveness round trip not answered within this long is a fault (a hung request
    #: must not hide one for the 30 s an upload may legitimately take).
    liveness_timeout: float = 4.0
    #: A SQL login's password for ``source``, from the keyring; merged into the
    #: connection string only when connecting, never saved with the source.
    source_password: str | None = field(default=None, repr=False)
