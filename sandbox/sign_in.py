"""Browser sign-in for the desktop program: OAuth 2.0 authorization code + PKCE (S256)
with a loopback redirect (RFC 6749, 7636, 8252), refresh-token rotation, revocation
(RFC 7009) and the RFC 8414 metadata document.

The routes are thin; the rules are here:

* only the desktop program's public client id, and only ``http://127.0.0.1:<port>/...``
  (or ``[::1]``) return addresses: anything else is shown on the page, never redirected to;
* ``code_challenge_method`` must be ``S256`` (``plain`` and no PKCE are refused);
* a code is single-use, bound to the client, the return address and the challenge, and
  lives at most 60 s (:mod:`sandbox.accounts`);
* wrong passwords and failed code or refresh exchanges are throttled with the same
  sliding window as wrong client secrets.

Client credentials (``grant_type=client_credentials``) stay in :mod:`sandbox.auth` for
IT's unattended installs.
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Final
from urllib.parse import parse_qs, urlencode, urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from engine.contract.wire import API_PREFIX, RETRY_AFTER_HEADER, ErrorCode, Scope
from sandbox import jsonio
from sandbox.accounts import Accounts, RefreshRefusal
from sandbox.auth import FORM_MEDIA_TYPE, Authenticator, sha256_hex
from sandbox.errors import ApiError
from sandbox.security import printable, read_small_body
from sandbox.sign_in_page import render_problem, render_sign_in, sign_in_csp
from sandbox.storage import Store
from sandbox.throttle import FailureThrottle

log = logging.getLogger("sandbox")

AUTHORIZE_PATH: Final = "/oauth/authorize"
PAGE_SIGN_IN_PATH: Final = "/sign-in"
METADATA_PATH: Final = "/.well-known/oauth-authorization-server"
REVOKE_PATH: Final = f"{API_PREFIX}/oauth/revoke"
SESSION_COOKIE: Final = "contacts_session"
SESSION_LIFETIME_SECONDS: Final = 8 * 3600
MAX_SESSIONS: Final = 1000
MAX_SIGN_IN_FORM_BYTES: Final = 8192
_OAUTH_FIELDS: Final = (
    "response_type",
    "client_id",
    "redirect_uri",
    "state",
    "code_challenge",
    "code_challenge_method",
    "scope",
)
_CHALLENGE: Final = re.compile(r"[A-Za-z0-9_-]{43}")
_MAX_STATE: Final = 500
_NO_STORE: Final = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class SignInProblem(Exception):
    """An authorization request that can't be sent back: shown on the page."""


def loopback_redirect(uri: str) -> bool:
    """RFC 8252 7.3: ``http`` to a loopback IP literal with a port, no fragment."""
    try:
        parts = urlsplit(uri)
        port = parts.port
    except ValueError:
        return False
    return (
        parts.scheme == "http"
        and parts.hostname in ("127.0.0.1", "::1")
        and port is not None
        and not parts.fragment
        and not parts.username
        and len(uri) <= 300
    )


def _origin(uri: str) -> str:
    parts = urlsplit(uri)
    return f"{parts.scheme}://{parts.netloc}"


def _with_query(uri: str, params: Mapping[str, str]) -> str:
    return uri + ("&" if urlsplit(uri).query else "?") + urlencode(params)


def _grant_error(message: str, code: ErrorCode = ErrorCode.INVALID_GRANT) -> ApiError:
    return ApiError(400, code, message, headers=dict(_NO_STORE))


@dataclass
class _Minted:
    #: family -> [(access digest, expires_at)], so revoking a family revokes its tokens.
    by_family: dict[str, list[tuple[str, float]]] = field(default_factory=dict)


class SignIn:
    """The authorization server's routes for the desktop program and the contacts page."""

    def __init__(
        self,
        accounts: Accounts,
        auth: Authenticator,
        throttle: FailureThrottle,
        desktop_client_id: str | None,
        practice_name: str,
    ) -> None:
        self.accounts = accounts
        self.auth = auth
        self.throttle = throttle
        self.desktop_client_id = desktop_client_id
        self.practice_name = practice_name
        self._minted = _Minted()
        self._sessions: dict[str, tuple[str, float]] = {}

    @classmethod
    def for_service(
        cls, accounts: Accounts, auth: Authenticator, store: Store, desktop_client_id: str | None
    ) -> SignIn:
        """The sign-in of one service; its own throttle, same rules as the token route's."""
        practice = store.practice()
        name = practice.name if practice else "Your practice"
        return cls(accounts, auth, FailureThrottle(), desktop_client_id, name)

    # -- browser sessions (the contacts page) -------------------------------------------

    def session_email(self, request: Request) -> str | None:
        """Who this browser signed in as, if anyone (and not expired)."""
        token = request.cookies.get(SESSION_COOKIE, "")
        entry = self._sessions.get(sha256_hex(token)) if token else None
        if entry is None or entry[1] <= time.time():
            return None
        return entry[0]

    def page_gate(self, request: Request, check_token: Callable[[], object]) -> Response | None:
        """The contacts page needs a signed-in browser (else: the sign-in page, which
        comes back to the page) or, for tools, a ``read`` token (``check_token``)."""
        if request.headers.get("authorization"):
            check_token()
            return None
        if self.session_email(request) is not None:
            return None
        back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"{PAGE_SIGN_IN_PATH}?{urlencode({'next': back})}", 303)

    def _start_session(self, response: Response, email: str) -> None:
        now = time.time()
        for key in [k for k, (_, exp) in self._sessions.items() if exp <= now]:
            del self._sessions[key]
        while len(self._sessions) >= MAX_SESSIONS:
            del self._sessions[next(iter(self._sessions))]
        token = secrets.token_urlsafe(32)
        self._sessions[sha256_hex(token)] = (email, now + SESSION_LIFETIME_SECONDS)
        response.set_cookie(
            SESSION_COOKIE,
            token,
            max_age=SESSION_LIFETIME_SECONDS,
            httponly=True,
            samesite="lax",
            path="/",
        )

    # -- metadata ------------------------------------------------------------------------

    async def metadata(self, request: Request) -> Response:
        base = str(request.base_url).rstrip("/")
        return jsonio.response(
            {
                "issuer": base,
                "authorization_endpoint": base + AUTHORIZE_PATH,
                "token_endpoint": f"{base}{API_PREFIX}/oauth/token",
                "revocation_endpoint": base + REVOKE_PATH,
                "response_types_supported": ["code"],
                "grant_types_supported": [
                    "authorization_code",
                    "refresh_token",
                    "client_credentials",
                ],
                "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": [
                    "none",
                    "client_secret_basic",
                    "client_secret_post",
                ],
                "revocation_endpoint_auth_methods_supported": ["none"],
                "scopes_supported": [s.value for s in Scope],
            }
        )

    # -- the sign-in page ----------------------------------------------------------------

    def _checked(self, params: Mapping[str, str]) -> dict[str, str]:
        """The OAuth fields of a valid request. SignInProblem: it can't be answered at
        its return address (shown on the page); ValueError(OAuth error code): it can."""
        if not self.desktop_client_id or params.get("client_id") != self.desktop_client_id:
            raise SignInProblem("The program asking to sign in is not known to this service.")
        redirect_uri = params.get("redirect_uri", "")
        if not loopback_redirect(redirect_uri):
            raise SignInProblem(
                "The program's return address is not a loopback address on this computer "
                "(http://127.0.0.1:port/...), so the sign-in is refused."
            )
        if params.get("response_type") != "code":
            raise ValueError("unsupported_response_type")
        if params.get("code_challenge_method") != "S256":
            raise ValueError("invalid_request")  # plain PKCE, or none: refused
        if not _CHALLENGE.fullmatch(params.get("code_challenge", "")):
            raise ValueError("invalid_request")
        state = params.get("state", "")
        if not state or len(state) > _MAX_STATE:
            raise ValueError("invalid_request")
        if params.get("scope", Scope.SYNC.value) not in (Scope.SYNC.value, ""):
            raise ValueError("invalid_scope")
        return {name: params.get(name, "") for name in _OAUTH_FIELDS}

    def _problem(self, message: str) -> Response:
        return HTMLResponse(
            render_problem(self.practice_name, message),
            400,
            headers={**_NO_STORE, "Content-Security-Policy": sign_in_csp()},
        )

    def _page(
        self,
        oauth: Mapping[str, str] | None,
        *,
        email: str = "",
        error: str | None = None,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
        next_path: str = "/",
    ) -> Response:
        hidden = dict(oauth) if oauth is not None else {"next": next_path}
        html = render_sign_in(
            action=AUTHORIZE_PATH if oauth is not None else PAGE_SIGN_IN_PATH,
            hidden=hidden,
            practice_name=self.practice_name,
            for_program=oauth is not None,
            email=email,
            error=error,
        )
        origin = _origin(oauth["redirect_uri"]) if oauth is not None else None
        csp = {"Content-Security-Policy": sign_in_csp(origin)}
        return HTMLResponse(html, status, headers={**_NO_STORE, **csp, **(headers or {})})

    async def authorize(self, request: Request) -> Response:
        """GET: the page. POST: check the password, then back to the program with a code."""
        if request.method == "GET":
            params = dict(request.query_params)
        else:
            params = await _read_form(request)
        try:
            oauth = self._checked(params)
        except SignInProblem as problem:
            return self._problem(str(problem))
        except ValueError as error:
            back = {"error": str(error), "state": params.get("state", "")[:_MAX_STATE]}
            return RedirectResponse(_with_query(params["redirect_uri"], back), 303)
        if request.method == "GET":
            return self._page(oauth)
        if params.get("action") == "deny":
            back = {"error": "access_denied", "state": oauth["state"]}
            return RedirectResponse(_with_query(oauth["redirect_uri"], back), 303)
        email = await self._verified(request, params, lambda **kw: self._page(oauth, **kw))
        if isinstance(email, Response):
            return email
        code = self.accounts.new_code(
            oauth["client_id"],
            oauth["redirect_uri"],
            oauth["code_challenge"],
            email,
            Scope.SYNC.value,
        )
        back = {"code": code, "state": oauth["state"]}
        response = RedirectResponse(_with_query(oauth["redirect_uri"], back), 303)
        self._start_session(response, email)
        log.info("signed in for the desktop program: %s", printable(email))
        return response

    async def page_sign_in(self, request: Request) -> Response:
        """The contacts page's own sign-in: a browser session, then back to the page."""
        if request.method == "GET":
            next_path = _local_path(request.query_params.get("next", "/"))
            return self._page(None, next_path=next_path)
        params = await _read_form(request)
        next_path = _local_path(params.get("next", "/"))
        email = await self._verified(
            request, params, lambda **kw: self._page(None, next_path=next_path, **kw)
        )
        if isinstance(email, Response):
            return email
        response = RedirectResponse(next_path, 303)
        self._start_session(response, email)
        return response

    async def _verified(
        self, request: Request, params: Mapping[str, str], page: Callable[..., Response]
    ) -> str | Response:
        """The signed-in email, or the page again saying why not (throttled first)."""
        typed = params.get("email", "").strip()[:254]
        address = request.client.host if request.client else ""
        refusal = self.throttle.refusal(address, typed.lower() or None)
        if refusal is not None:
            log.warning("sign-in refused unchecked: too many wrong passwords (%s)", address)
            return page(
                email=typed,
                error=f"Too many wrong passwords. Wait {refusal.retry_after} seconds and try "
                "again.",
                status=429,
                headers={RETRY_AFTER_HEADER: str(refusal.retry_after)},
            )
        email = await run_in_threadpool(self.accounts.verify, typed, params.get("password", ""))
        if email is None:
            self.throttle.failed(address, typed.lower() or None)
            log.warning("failed sign-in for '%s' from %s", printable(typed), address)
            return page(email=typed, error="The email or password is wrong.", status=401)
        return email

    # -- token endpoint grants -----------------------------------------------------------

    def handles(self, grant_type: str | None) -> bool:
        return grant_type in ("authorization_code", "refresh_token")

    async def token(self, request: Request, form: Mapping[str, str]) -> Response:
        address = request.client.host if request.client else ""
        refusal = self.throttle.refusal(address, None)
        if refusal is not None:
            raise ApiError(
                429,
                ErrorCode.RATE_LIMITED,
                "Too many failed sign-ins; wait and try again.",
                headers={RETRY_AFTER_HEADER: str(refusal.retry_after), **_NO_STORE},
            )
        try:
            if form.get("grant_type") == "authorization_code":
                issued = self._exchange_code(form)
            else:
                issued = await run_in_threadpool(self._refresh, form)
        except ApiError:
            self.throttle.failed(address, None)
            raise
        return jsonio.response(issued, headers=_NO_STORE)

    def _client(self, form: Mapping[str, str]) -> str:
        client_id = form.get("client_id", "")
        if not self.desktop_client_id or client_id != self.desktop_client_id:
            raise ApiError(
                401,
                ErrorCode.INVALID_CLIENT,
                "This program is not known to the service.",
                headers=dict(_NO_STORE),
            )
        return client_id

    def _exchange_code(self, form: Mapping[str, str]) -> dict[str, object]:
        client_id = self._client(form)
        grant = self.accounts.take_code(form.get("code", ""))  # single use, whatever follows
        if grant is None:
            raise _grant_error("The sign-in code is unknown, used or expired; sign in again.")
        if grant.client_id != client_id or grant.redirect_uri != form.get("redirect_uri"):
            raise _grant_error("The sign-in code was issued for another program or address.")
        if not grant.verifier_matches(form.get("code_verifier", "")):
            raise _grant_error("The code_verifier does not match the sign-in's challenge.")
        refresh, family = self.accounts.new_family(client_id, grant.email, grant.scope)
        return self._issue(family, grant.email, grant.scope, refresh)

    def _refresh(self, form: Mapping[str, str]) -> dict[str, object]:
        client_id = self._client(form)
        outcome = self.accounts.rotate(form.get("refresh_token", ""), client_id)
        if isinstance(outcome, RefreshRefusal):
            if outcome is RefreshRefusal.REPLAYED:
                log.warning("a used refresh token was presented again: its sign-in is revoked")
            self._revoke_minted_for(form.get("refresh_token", ""))
            raise _grant_error(
                "This sign-in is no longer valid (revoked, expired or replaced); sign in again."
            )
        grant, new = outcome
        return self._issue(grant.family, grant.email, grant.scope, new)

    def _issue(self, family: str, email: str, scope: str, refresh: str) -> dict[str, object]:
        token, digest, lifetime = self.auth.mint(Scope(scope))
        now = time.time()
        tokens = [t for t in self._minted.by_family.get(family, []) if t[1] > now]
        tokens.append((digest, now + lifetime))
        self._minted.by_family[family] = tokens
        return {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": lifetime,
            "scope": scope,
            "refresh_token": refresh,
            "signed_in_as": email,
        }

    def _revoke_minted_for(self, refresh: str) -> None:
        """Forget the access tokens of a refresh token's family if it is revoked now."""
        family = self.accounts.family_of(refresh)
        if family is not None and self.accounts.family_revoked(family):
            for digest, _ in self._minted.by_family.pop(family, []):
                self.auth.forget(digest)

    # -- revocation (RFC 7009) -----------------------------------------------------------

    async def revoke(self, request: Request) -> Response:
        form = await _read_form(request, MAX_SIGN_IN_FORM_BYTES)
        client_id = self._client(form)
        token = form.get("token", "")
        if not token:
            raise _grant_error("token is missing.", ErrorCode.INVALID_REQUEST)
        if await run_in_threadpool(self.accounts.revoke, token, client_id):
            self._revoke_minted_for(token)
        else:  # an access token: forget it if this service minted it for a sign-in
            digest = sha256_hex(token)
            for tokens in self._minted.by_family.values():
                if any(d == digest for d, _ in tokens):
                    self.auth.forget(digest)
        return jsonio.response({}, headers=_NO_STORE)


async def _read_form(request: Request, limit: int = MAX_SIGN_IN_FORM_BYTES) -> dict[str, str]:
    """A small urlencoded form (a browser's sign-in post); one value per name."""
    body = await read_small_body(request, limit)
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != FORM_MEDIA_TYPE:
        raise ApiError(400, ErrorCode.INVALID_REQUEST, f"Send the form as {FORM_MEDIA_TYPE}.")
    try:
        fields = parse_qs(
            body.decode("utf-8"), keep_blank_values=True, errors="strict", max_num_fields=16
        )
    except (UnicodeDecodeError, ValueError):
        raise ApiError(400, ErrorCode.INVALID_REQUEST, "The form is not valid.") from None
    return {name: values[0] for name, values in fields.items()}


def _local_path(target: str) -> str:
    """Where the page's sign-in returns to: a path on this service, never elsewhere."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target[:500]
