"""Every back-office request passes ``page()``: language, session, CSRF check, who is signed in.

A handler is ``async def handler(view: View[U]) -> Response``. ``page()`` wraps it as a
Starlette endpoint that

1. picks the language (``?lang=`` or cookie) and the session (cookie, or a new anonymous one);
2. on an unsafe method (POST…), reads the form and refuses it unless its ``csrf`` field (or the
   ``X-CSRF-Token`` header htmx sends) equals the session's token;
3. loads the signed-in principal and drops the session when the principal is gone, disabled,
   or its password changed since the session was signed (the credential fingerprint);
4. sends anyone not signed in to the sign-in page (unless the page is public);
5. turns ``NotFound`` into a 404 page and any other error into a plain 500 page, and adds the
   security headers (CSP allowing only our own scripts and styles, no framing, no caching).
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic
from urllib.parse import urlencode

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from hongyan.admin.i18n import Translator, choose_language, remember_language
from hongyan.admin.office import BackOffice, Face, U
from hongyan.admin.sessions import Session, new_session
from hongyan.core.errors import NotFound
from hongyan.services.api.context import ApiContext
from hongyan.store.base import Store

log = logging.getLogger(__name__)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

Handler = Callable[["View[U]"], Awaitable[Response]]


@dataclass
class View(Generic[U]):
    """One request as a handler sees it."""

    request: Request
    office: BackOffice
    face: Face[U]
    session: Session
    lang: str
    t: Translator
    user: U | None = None
    form: FormData | None = None
    _session_changed: bool = False
    _came_without_session: bool = False
    _remember_lang: bool = False

    @property
    def context(self) -> ApiContext:
        context: ApiContext = self.request.app.state.context
        return context

    @property
    def store(self) -> Store:
        return self.context.store

    @property
    def signed_in_user(self) -> U:
        """The principal of a page that requires signing in (``page()`` made sure)."""
        if self.user is None:
            raise NotFound("not signed in")
        return self.user

    @property
    def is_htmx(self) -> bool:
        return self.request.headers.get("HX-Request") == "true"

    def field(self, name: str, default: str = "") -> str:
        """A submitted form field as text, stripped ("" when absent or a file)."""
        value = self.form.get(name) if self.form is not None else None
        return value.strip() if isinstance(value, str) else default

    def query(self, name: str) -> str:
        return self.request.query_params.get(name, "").strip()

    def sign_in(self, user: U) -> None:
        """Start a new session for ``user``: new token, bound to the current password."""
        self.user = user
        self.session = new_session(user.id, self.face.cookie.fingerprint(user.password_hash))
        self._session_changed = True

    def sign_out(self) -> None:
        self.user = None
        self.session = new_session()
        self._session_changed = True

    def render(self, template: str, status: int = 200, **values: Any) -> Response:
        page = self.office.templates.get_template(template).render(
            t=self.t,
            lang=self.lang,
            face=self.face,
            user=self.user,
            csrf=self.session.csrf,
            path=self.request.url.path,
            query=dict(self.request.query_params),
            lang_href=self.lang_href,
            **values,
        )
        return self.finish(HTMLResponse(page, status_code=status))

    def redirect(self, path: str) -> Response:
        """303 to ``path`` under the face (htmx follows ``HX-Redirect`` instead)."""
        target = path if path.startswith(self.face.prefix + "/") else self.face.url(path)
        if self.is_htmx:
            return self.finish(Response(status_code=204, headers={"HX-Redirect": target}))
        return self.finish(RedirectResponse(target, status_code=303))

    def lang_href(self, lang: str) -> str:
        params = {**self.request.query_params, "lang": lang}
        return f"{self.request.url.path}?{urlencode(params)}"

    def finish(self, response: Response) -> Response:
        """Cookies and security headers on a response (every response goes through here; a
        second pass over the same response adds nothing)."""
        if self._session_changed:
            self.face.cookie.write(response, self.request, self.session)
            self._session_changed = False
        if self._remember_lang:
            remember_language(response, self.lang)
            self._remember_lang = False
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response


def page(
    office: BackOffice, face: Face[U], handler: Handler[U], *, public: bool = False
) -> Callable[[Request], Awaitable[Response]]:
    """``handler`` as a Starlette endpoint (see the module docstring)."""

    async def endpoint(request: Request) -> Response:
        view = await _open(office, face, request)
        if request.method not in SAFE_METHODS:
            view.form = await request.form(max_files=0, max_fields=200)
            if not _csrf_ok(view):
                return view.render("error.html", status=403, message=view.t("error.csrf"))
        await _load_user(view)
        if view.user is None and not public:
            return view.redirect(_sign_in_target(face, request))
        try:
            return view.finish(await handler(view))
        except NotFound:
            return view.render("error.html", status=404, message=view.t("error.not_found"))
        except Exception:
            log.exception("back office: %s %s failed", request.method, request.url.path)
            return view.render("error.html", status=500, message=view.t("error.internal"))

    return endpoint


async def _open(office: BackOffice, face: Face[U], request: Request) -> View[U]:
    lang, remember = choose_language(request)
    session = face.cookie.read(request)
    view = View(
        request=request,
        office=office,
        face=face,
        session=session or new_session(),
        lang=lang,
        t=face.catalog.translator(lang),
    )
    view._session_changed = view._came_without_session = session is None
    view._remember_lang = remember
    return view


def _csrf_ok(view: View[Any]) -> bool:
    presented = view.field(CSRF_FIELD) or view.request.headers.get(CSRF_HEADER, "")
    if view._came_without_session or not presented:  # no session cookie: nothing to match
        return False
    return hmac.compare_digest(presented.encode(), view.session.csrf.encode())


async def _load_user(view: View[U]) -> None:
    subject = view.session.subject
    if subject is None:
        return
    user = await view.face.load(view.context, subject)
    credential = view.face.cookie.fingerprint(user.password_hash) if user else ""
    if (
        user is None
        or not user.active
        or not hmac.compare_digest(credential, view.session.credential)
    ):
        view.sign_out()
        return
    view.user = user


def _sign_in_target(face: Face[Any], request: Request) -> str:
    here = request.url.path
    if request.method in SAFE_METHODS and here != face.url("/signin"):
        query = f"?{request.url.query}" if request.url.query else ""
        return face.url("/signin") + "?" + urlencode({"next": here + query})
    return face.url("/signin")


def not_found_page(office: BackOffice, face: Face[U]) -> Callable[[Request], Awaitable[Response]]:
    """The catch-all route of a face: unknown paths get the face's 404 page."""

    async def missing(view: View[U]) -> Response:
        raise NotFound(view.request.url.path)

    return page(office, face, missing, public=True)


def query_params(view: View[Any], *names: str) -> Mapping[str, str]:
    """The named query parameters that are set, for links that keep the current filters."""
    return {n: view.query(n) for n in names if view.query(n)}
