"""Documented schemas of a partnership's own records (framework.md section 4, family 2).

These schemas are the catalogue against which computations are checked: a
computation may only name a dataset and columns listed here, so no identifier
from a definition file reaches SQL unchecked.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # "str", "int", "float", "bool", "date"
    required: bool = True
    choices: tuple[str, ...] = ()
    doc: str = ""


STAKEHOLDER_GROUPS = (
    "local_government",
    "regional_national_government",
    "civil_society",
    "academia",
    "private_sector",
    "youth",
    "donor_finance",
)
SEXES = ("female", "male", "other", "unknown")


@dataclass(frozen=True)
class Dataset:
    name: str
    doc: str
    key: str
    columns: tuple[Column, ...]

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]


_COMMON = (
    Column("partnership_id", "str", doc="partnership identifier in the workspace"),
    Column("date", "date", doc="ISO date (YYYY-MM-DD) that places the row in a period"),
)

DATASETS: dict[str, Dataset] = {
    d.name: d
    for d in (
        Dataset(
            "activities",
            "Joint activities of the partnership.",
            "activity_id",
            (
                Column("activity_id", "str"),
                *_COMMON,
                Column("city_id", "str", doc="city where the activity took place"),
                Column(
                    "type",
                    "str",
                    choices=(
                        "workshop", "exchange_visit", "training", "webinar",
                        "pilot_project", "study", "public_event",
                    ),
                ),
                Column("scope", "str", choices=("city", "functional_area", "rural")),
                Column("sdg", "int", required=False, doc="priority SDG goal (1-17), blank if none"),
                Column("budget_eur", "float", required=False),
                Column("title", "str", required=False),
            ),
        ),
        Dataset(
            "participants",
            "Participants in activities, one row per person and activity.",
            "participant_id",
            (
                Column("participant_id", "str"),
                *_COMMON,
                Column("activity_id", "str"),
                Column("city_id", "str"),
                Column("stakeholder_group", "str", choices=STAKEHOLDER_GROUPS),
                Column("sex", "str", choices=SEXES),
            ),
        ),
        Dataset(
            "budget_lines",
            "Budget and co-financing lines.",
            "line_id",
            (
                Column("line_id", "str"),
                *_COMMON,
                Column("city_id", "str"),
                Column("city_role", "str", choices=("european", "partner")),
                Column(
                    "category",
                    "str",
                    choices=(
                        "capacity_building", "staff_exchange", "infrastructure", "studies",
                        "digital", "communication", "management", "m_and_e",
                    ),
                ),
                Column("source", "str", choices=("eu_grant", "city_own", "national", "private", "other_donor")),
                Column("amount_eur", "float"),
            ),
        ),
        Dataset(
            "staff_exchanges",
            "Staff placed on loan or on study stays in the partner administration.",
            "exchange_id",
            (
                Column("exchange_id", "str"),
                *_COMMON,
                Column("from_city_id", "str"),
                Column("to_city_id", "str"),
                Column("staff_count", "int"),
                Column("person_days", "float"),
                Column("sex", "str", choices=SEXES),
            ),
        ),
        Dataset(
            "publications",
            "Publications of results (M&E reports, good practices, data releases).",
            "publication_id",
            (
                Column("publication_id", "str"),
                *_COMMON,
                Column(
                    "kind", "str",
                    choices=("m_and_e_report", "good_practice", "data_release", "press", "academic"),
                ),
                Column("public", "bool"),
                Column("title", "str", required=False),
            ),
        ),
        Dataset(
            "digital_tools",
            "Digital tools used or built by the partnership.",
            "tool_id",
            (
                Column("tool_id", "str"),
                *_COMMON,
                Column("city_id", "str"),
                Column("kind", "str", choices=("platform", "open_data_portal", "dashboard", "app", "e_service")),
                Column("status", "str", choices=("planned", "live", "retired")),
                Column("users", "int", required=False),
            ),
        ),
    )
}

SQL_TYPES = {"str": "VARCHAR", "int": "BIGINT", "float": "DOUBLE", "bool": "BOOLEAN", "date": "DATE"}
