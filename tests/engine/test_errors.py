"""The one exception tree (``engine/errors.py``) and its table from exception to reason.

Every error a person can see lives in the tree and has a row (or is listed, on purpose,
as no status reason), so a new error can't reach the light by an accident of where it
was declared; and each row still means what the retry policy has always made of it.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Final

import httpx
import pytest

import engine
from engine.errors import (
    STATUS_REASONS,
    AnswerRefused,
    CheckpointConflict,
    ConnectionStringError,
    CredentialsRejected,
    GaveUp,
    InsecureServiceUrl,
    InvalidDocuments,
    LoginProblem,
    NotActivated,
    OnlineError,
    OnlineProtocolError,
    PayloadTooLarge,
    PreflightFailed,
    RequestRefused,
    SchemaError,
    SettingsError,
    SignInFailed,
    SignInNeeded,
    SourceError,
    StaleEpoch,
    TermsNotAccepted,
    TransientOnlineError,
    UntrustedCertificate,
    UserFacingError,
    status_reason,
)
from engine.status.model import Reason
from engine.sync.retry import Failure, classify

#: Exceptions the engine raises and catches itself, never shown to a person.
INTERNAL_CONTROL_FLOW: Final = frozenset(
    {
        "engine.sync.control.LeaseLost",
        "engine.sync.control.LockLost",
        "engine.sync.control.Stopping",
        "engine.sync.control.FaultPersisted",
        # caught by its caller: its words become a set-aside reason (the
        # uploader) or a 422's problem (the service), never an error a person sees
        "engine.contract.document.InvalidDocument",
        # raised and caught inside wire_assembly: a value it can't build sends that
        # contact down the general path
        "engine.sources.mapping.wire_assembly._Odd",
        # raised by sqlite_rows, caught by SqliteSource.read_upload_page: the page is
        # read with the plain statements instead
        "engine.sources.sqlite_rows.Unproven",
    }
)


def all_subclasses(cls: type[BaseException]) -> set[type[BaseException]]:
    found: set[type[BaseException]] = set()
    for sub in cls.__subclasses__():
        found |= {sub, *all_subclasses(sub)}
    return found


@pytest.fixture(scope="module")
def engine_exceptions() -> set[type[BaseException]]:
    """Every exception class any engine module declares (each module imported first)."""
    for module in pkgutil.walk_packages(engine.__path__, "engine."):
        importlib.import_module(module.name)
    return {
        cls
        for cls in all_subclasses(BaseException)
        if cls.__module__ == "engine" or cls.__module__.startswith("engine.")
    }


def qualified(cls: type[BaseException]) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def test_every_error_a_person_sees_lives_in_the_tree(
    engine_exceptions: set[type[BaseException]],
) -> None:
    outside = {
        qualified(cls)
        for cls in engine_exceptions
        if cls.__module__ != "engine.errors" and qualified(cls) not in INTERNAL_CONTROL_FLOW
    }
    assert outside == set(), "declare user-facing errors in engine/errors.py"
    internal = {qualified(cls) for cls in engine_exceptions if cls.__module__ != "engine.errors"}
    assert internal == INTERNAL_CONTROL_FLOW
    assert not any(
        issubclass(cls, UserFacingError)
        for cls in engine_exceptions
        if cls.__module__ != "engine.errors"
    )


def test_every_class_in_the_tree_has_a_row(engine_exceptions: set[type[BaseException]]) -> None:
    tree = {cls for cls in engine_exceptions if cls.__module__ == "engine.errors"}
    assert all(issubclass(cls, UserFacingError) for cls in tree)
    missing = sorted(cls.__name__ for cls in tree if cls not in STATUS_REASONS)
    assert missing == [], "add a row to STATUS_REASONS (None: not a status reason)"
    assert set(STATUS_REASONS) == tree


def gave_up() -> GaveUp:
    return GaveUp(
        what="the comparison",
        elapsed=9.0,
        attempts=3,
        reason=Reason.ONLINE_UNREACHABLE,
        detail="down",
    )


#: (an error, its reason, a retry can't fix it, a one-shot call retries it); None: the
#: caller handles it itself. What the retry policy made of each before the table.
MEANINGS: Final[list[tuple[UserFacingError, tuple[Reason, bool, bool] | None]]] = [
    (UserFacingError("odd"), None),
    (SourceError("gone"), (Reason.DATABASE_UNREACHABLE, False, True)),
    (SchemaError("no table"), (Reason.DATABASE_SCHEMA, True, False)),
    (ConnectionStringError("bad"), (Reason.DATABASE_UNREACHABLE, False, True)),
    (OnlineError("odd"), (Reason.ONLINE_ERROR, False, False)),
    (TransientOnlineError("busy"), (Reason.ONLINE_UNREACHABLE, False, True)),
    (CredentialsRejected("x"), (Reason.CREDENTIALS_REJECTED, True, False)),
    (SignInNeeded(), (Reason.SIGN_IN_AGAIN, True, False)),
    (SignInFailed("cancelled"), None),
    (NotActivated(), (Reason.NOT_ACTIVATED, True, False)),
    (OnlineProtocolError("html"), (Reason.ONLINE_ERROR, False, True)),
    (AnswerRefused("too large"), (Reason.ONLINE_ERROR, False, True)),
    (RequestRefused(404, "not_found", "no"), (Reason.ONLINE_ERROR, False, False)),
    (UntrustedCertificate("host", "self-signed"), (Reason.ONLINE_UNREACHABLE, False, False)),
    (gave_up(), (Reason.ONLINE_ERROR, False, False)),
    (StaleEpoch(), None),
    (CheckpointConflict(), None),
    (PayloadTooLarge(), None),
    (InvalidDocuments({"c1": ["bad"]}), None),
    (SettingsError("bad"), None),
    (InsecureServiceUrl("http"), None),
    (LoginProblem("inactive"), (Reason.LOGIN_NOT_ACTIVE_EMPLOYEE, True, False)),
    (TermsNotAccepted("Terms", "v2"), None),
    (PreflightFailed([]), None),
]


def test_the_meanings_cover_the_tree() -> None:
    assert {type(error) for error, _ in MEANINGS} == set(STATUS_REASONS)


@pytest.mark.parametrize(
    ("error", "meaning"), MEANINGS, ids=[type(e).__name__ for e, _ in MEANINGS]
)
def test_each_error_means_what_it_always_meant(
    error: UserFacingError, meaning: tuple[Reason, bool, bool] | None
) -> None:
    failure = classify(error)
    if meaning is None:
        assert failure is None
        assert status_reason(error) is None
        return
    assert failure is not None
    assert (failure.reason, failure.immediate, failure.transient) == meaning
    expected_detail = "" if isinstance(error, NotActivated | SignInNeeded) else error.problem
    assert failure.detail == expected_detail


def test_a_subclass_without_a_row_means_what_its_parent_means() -> None:
    class Busier(TransientOnlineError):
        pass

    failure = classify(Busier("busy", retry_after=4.0))
    assert failure == Failure(Reason.ONLINE_UNREACHABLE, "busy", transient=True, retry_after=4.0)


def test_foreign_errors_are_never_hidden_behind_a_reason() -> None:
    assert classify(ValueError("a bug")) is None
    reset = classify(httpx.ReadError("reset"))
    assert reset is not None and reset.reason is Reason.ONLINE_UNREACHABLE and reset.transient
