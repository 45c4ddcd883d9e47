"""A translatable text of the definitions: one string per product language, English required."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from c2c_monitor.definitions.languages import LANGUAGES


class Text(BaseModel):
    """A translatable text: English required, other languages optional, falling back to English.

    The fields are the languages of definitions/languages.py; definitions/translations.py finds the
    texts that still lack one (`c2c catalog validate --lang pt`).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    en: str = Field(min_length=1)
    fr: str | None = None
    es: str | None = None
    pt: str | None = None

    def get(self, lang: str = "en") -> str:
        # Only the language fields: `get("model_config")` must not find a class attribute.
        value = getattr(self, lang, None) if lang in LANGUAGES else None
        return value if isinstance(value, str) and value.strip() else self.en

    def has(self, lang: str) -> bool:
        """True when the text is written in `lang` (not only falling back to English)."""
        value = getattr(self, lang, None) if lang in LANGUAGES else None
        return isinstance(value, str) and bool(value.strip())

    def variants(self) -> list[str]:
        """The text in every language it is written in, English first (for matching what people typed)."""
        return [t for lang in LANGUAGES if isinstance(t := getattr(self, lang, None), str) and t.strip()]
