"""Chinese and English labels: every word a back-office page shows goes through a ``Catalog``.

Chinese is the default. The language is chosen by ``?lang=en`` / ``?lang=zh`` (remembered in
a cookie) or the cookie alone. A catalog maps a label key to its (Chinese, English) pair;
labels may take ``str.format`` fields: ``t("page_n", n=3)``. A missing key shows the key
itself, and tests/admin check that every key a template uses exists.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"
LANG_COOKIE = "hy_lang"
LANG_COOKIE_MAX_AGE = 365 * 24 * 3600


@dataclass(frozen=True)
class Catalog:
    labels: Mapping[str, tuple[str, str]]  # key → (zh, en)

    def merged(self, more: Mapping[str, tuple[str, str]]) -> Catalog:
        """This catalog with ``more`` added; a key defined twice is a programming error."""
        twice = set(self.labels) & set(more)
        if twice:
            raise ValueError(f"labels defined twice: {', '.join(sorted(twice))}")
        return Catalog({**self.labels, **more})

    def translator(self, lang: str) -> Translator:
        return Translator(self, LANGUAGES.index(lang) if lang in LANGUAGES else 0, lang)


@dataclass(frozen=True)
class Translator:
    """``t(key, **fields)`` for one language; what templates call."""

    catalog: Catalog
    index: int
    lang: str

    def __call__(self, key: str, **fields: object) -> str:
        pair = self.catalog.labels.get(key)
        if pair is None:
            return key
        text = pair[self.index]
        return text.format(**fields) if fields else text


def choose_language(request: Request) -> tuple[str, bool]:
    """(language, whether the query asked for it and the cookie should remember it)."""
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        return asked, True
    remembered = request.cookies.get(LANG_COOKIE)
    if remembered in LANGUAGES:
        return remembered, False
    return DEFAULT_LANGUAGE, False


def remember_language(response: Response, lang: str) -> None:
    response.set_cookie(
        LANG_COOKIE, lang, max_age=LANG_COOKIE_MAX_AGE, path="/", httponly=True, samesite="lax"
    )
