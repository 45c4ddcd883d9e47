"""A partner city's country named in the reader's language.

A workspace's cities table holds each country's name as its users wrote it, in the workspace's language, and its
ISO 3166-1 code (`iso2`). A page in another language (`--lang`, a second language of the site) names the country
as the Unicode CLDR does in that language, through Babel: "Espagne", "España", "Espanha" for a Spanish city in a
workspace that says "Spain". A city without a code, or with a code CLDR does not name, keeps the stored name; so
does every output in the workspace's own language, and the open data (it publishes the stored table).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from c2c_monitor.store import reads

if TYPE_CHECKING:
    from duckdb import DuckDBPyConnection


def country_names(con: DuckDBPyConnection, city_ids: Sequence[str], lang: str, stored_lang: str) -> dict[str, str]:
    """CLDR's name in `lang` of each city's country, by the city's code; cities CLDR cannot name are left out, and
    all of them when `lang` is `stored_lang`, the workspace's language, in which the stored names are written."""
    if lang == stored_lang:
        return {}
    from babel import Locale

    territories = Locale.parse(lang).territories
    return {city: territories[code] for city, code in reads.city_iso2(con, list(city_ids)).items()
            if code in territories}
