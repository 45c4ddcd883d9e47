"""The product's languages, listed once: every translatable text and every language choice uses these."""

from __future__ import annotations

# English first: it is the language every definition must have and the one the others fall back to.
LANGUAGES: tuple[str, ...] = ("en", "fr", "es", "pt")
# Each language's name in itself, as a participant choosing it would look for it.
NATIVE_NAMES: dict[str, str] = {"en": "English", "fr": "Français", "es": "Español", "pt": "Português"}
SOURCE_LANGUAGE = "en"


def native_name(lang: str) -> str:
    """"Français" for "fr"; an unknown code is returned as given."""
    return NATIVE_NAMES.get(lang, lang)
