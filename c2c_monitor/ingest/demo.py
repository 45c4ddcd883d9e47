"""The embedded, deterministic demo: a 27-partnership cohort like the OECD 2022 pilot.

The city pairs are illustrative pairings of real cities (not the programme's
list of partnerships). Ratings are generated so that, through the normal
aggregation (question median -> principle mean -> cohort mean), round 1 gives the
published pilot profile; nothing downstream reads these targets.
"""

from __future__ import annotations

import random
from datetime import date
from typing import TYPE_CHECKING, Any

import polars as pl

from c2c_monitor.definitions.catalog import Catalogue, load_catalogue
from c2c_monitor.definitions.principles import Framework, load_framework
from c2c_monitor.definitions.records import DATASETS, STAKEHOLDER_GROUPS
from c2c_monitor.store.schema import insert_frame, new_vintage, transaction

if TYPE_CHECKING:
    from duckdb import DuckDBPyConnection

SEED = 2022

# (id, name, country, iso2, population)
CITIES = [
    ("bonn", "Bonn", "Germany", "DE", 336_000), ("cape-coast", "Cape Coast", "Ghana", "GH", 190_000),
    ("lisbon", "Lisbon", "Portugal", "PT", 545_000), ("praia", "Praia", "Cabo Verde", "CV", 160_000),
    ("barcelona", "Barcelona", "Spain", "ES", 1_620_000), ("maputo", "Maputo", "Mozambique", "MZ", 1_120_000),
    ("bordeaux", "Bordeaux", "France", "FR", 260_000), ("douala", "Douala", "Cameroon", "CM", 3_900_000),
    ("ghent", "Ghent", "Belgium", "BE", 265_000), ("mwanza", "Mwanza", "Tanzania", "TZ", 1_100_000),
    ("utrecht", "Utrecht", "Netherlands", "NL", 361_000), ("leon", "León", "Nicaragua", "NI", 210_000),
    ("turin", "Turin", "Italy", "IT", 848_000), ("ouagadougou", "Ouagadougou", "Burkina Faso", "BF", 2_500_000),
    ("malmo", "Malmö", "Sweden", "SE", 357_000), ("windhoek", "Windhoek", "Namibia", "NA", 431_000),
    ("espoo", "Espoo", "Finland", "FI", 305_000), ("kisumu", "Kisumu", "Kenya", "KE", 610_000),
    ("riga", "Riga", "Latvia", "LV", 605_000), ("tbilisi", "Tbilisi", "Georgia", "GE", 1_200_000),
    ("ljubljana", "Ljubljana", "Slovenia", "SI", 295_000), ("skopje", "Skopje", "North Macedonia", "MK", 526_000),
    ("aarhus", "Aarhus", "Denmark", "DK", 361_000), ("chiang-mai", "Chiang Mai", "Thailand", "TH", 127_000),
    ("graz", "Graz", "Austria", "AT", 295_000), ("mekelle", "Mekelle", "Ethiopia", "ET", 310_000),
    ("brno", "Brno", "Czechia", "CZ", 382_000), ("chernivtsi", "Chernivtsi", "Ukraine", "UA", 265_000),
    ("cluj-napoca", "Cluj-Napoca", "Romania", "RO", 286_000), ("chisinau", "Chișinău", "Moldova", "MD", 640_000),
    ("bilbao", "Bilbao", "Spain", "ES", 346_000), ("medellin", "Medellín", "Colombia", "CO", 2_570_000),
    ("porto", "Porto", "Portugal", "PT", 232_000), ("mindelo", "Mindelo", "Cabo Verde", "CV", 75_000),
    ("lyon", "Lyon", "France", "FR", 522_000), ("porto-novo", "Porto-Novo", "Benin", "BJ", 264_000),
    ("milan", "Milan", "Italy", "IT", 1_370_000), ("dakar", "Dakar", "Senegal", "SN", 1_440_000),
    ("hamburg", "Hamburg", "Germany", "DE", 1_850_000), ("dar-es-salaam", "Dar es Salaam", "Tanzania", "TZ", 5_400_000),
    ("cork", "Cork", "Ireland", "IE", 224_000), ("lilongwe", "Lilongwe", "Malawi", "MW", 990_000),
    ("krakow", "Kraków", "Poland", "PL", 800_000), ("lviv", "Lviv", "Ukraine", "UA", 720_000),
    ("thessaloniki", "Thessaloniki", "Greece", "GR", 319_000), ("tirana", "Tirana", "Albania", "AL", 557_000),
    ("tallinn", "Tallinn", "Estonia", "EE", 454_000), ("kutaisi", "Kutaisi", "Georgia", "GE", 147_000),
    ("nantes", "Nantes", "France", "FR", 320_000), ("agadir", "Agadir", "Morocco", "MA", 421_000),
    ("leuven", "Leuven", "Belgium", "BE", 102_000), ("bukavu", "Bukavu", "DR Congo", "CD", 1_130_000),
    ("zaragoza", "Zaragoza", "Spain", "ES", 682_000), ("cusco", "Cusco", "Peru", "PE", 428_000),
]
THEMES = [
    ("Sustainable urban mobility", [11, 13]), ("Affordable housing and slum upgrading", [11, 1]),
    ("Solid waste and circular economy", [11, 12]), ("Water and sanitation", [6, 11]),
    ("Local economic development and jobs", [8, 11]), ("Digital municipal services", [9, 17]),
    ("Climate resilience and disaster risk reduction", [13, 11]), ("Gender equality in the city", [5, 11]),
    ("Green public spaces", [11, 15]),
]
# Published 2022 pilot averages (framework.md section 2) for P06, P01, P08; the rest below 3, P09 lowest.
PILOT_PROFILE = {
    "P01": 3.44, "P02": 2.86, "P03": 2.61, "P04": 2.93, "P05": 2.72,
    "P06": 3.70, "P07": 2.80, "P08": 3.12, "P09": 2.21, "P10": 2.48,
}
ROUND2_CHANGE = {"P01": 0.15, "P02": 0.2, "P03": 0.1, "P04": 0.35, "P05": 0.45, "P06": 0.05,
                 "P07": 0.25, "P08": 0.1, "P09": 0.3, "P10": 0.4}
ROUNDS = [("2022-pilot", date(2022, 11, 15), "Pilot self-assessment, late 2022"),
          ("2024", date(2024, 11, 14), "Second self-assessment, 2024")]
QUARTERS = [(y, q) for y in (2022, 2023, 2024) for q in (1, 2, 3, 4)]


def partnerships() -> list[dict[str, Any]]:
    out = []
    for k in range(27):
        eu, partner = CITIES[2 * k], CITIES[2 * k + 1]
        theme, sdgs = THEMES[k % len(THEMES)]
        out.append({
            "partnership_id": f"{eu[0]}-{partner[0]}", "name": f"{eu[1]} – {partner[1]}",
            "european_city_id": eu[0], "partner_city_id": partner[0], "theme": theme,
            "sdgs": ",".join(str(s) for s in sdgs + [17]), "start_year": 2021,
            "budget_eur": float(900_000 + 50_000 * (k % 7)),
            "description": f"{theme}: a city-to-city partnership between {eu[1]} and {partner[1]} "
                           "under the EU Partnerships for Sustainable Cities programme (illustrative).",
        })
    return out


def _question_medians(rng: random.Random, n_partners: int, n_questions: int, target: float) -> list[list[int]]:
    """Integer medians per (partnership, question) whose overall mean is as close to target as possible."""
    grid = []
    for _ in range(n_partners):
        level = target + rng.gauss(0, 0.45)
        grid.append([min(5, max(1, round(level + rng.gauss(0, 0.55)))) for _ in range(n_questions)])
    want = round(target * n_partners * n_questions)
    total = sum(map(sum, grid))
    while total != want:
        step = 1 if total < want else -1
        k, q = rng.randrange(n_partners), rng.randrange(n_questions)
        if 1 <= grid[k][q] + step <= 5:
            grid[k][q] += step
            total += step
    return grid


def _ratings_with_median(rng: random.Random, m: int, n: int, spread: int) -> list[int]:
    """n integer ratings in 1-5 whose median is exactly m."""
    half = n // 2
    low = [max(1, m - rng.randint(0, spread)) for _ in range(half)]
    high = [min(5, m + rng.randint(0, spread)) for _ in range(half)]
    mid = [m] if n % 2 else []
    if n % 2 == 0 and n:
        low[-1], high[-1] = m, m  # both middle values are m
    vals = low + mid + high
    rng.shuffle(vals)
    return vals


def _ratings(rng: random.Random, fw: Framework, parts: list[dict[str, Any]]) -> dict[str, pl.DataFrame]:
    rating_rows, round_rows, agreed_rows, action_rows = [], [], [], []
    people = {}
    for p in parts:
        n = rng.randint(9, 14)
        groups = list(STAKEHOLDER_GROUPS)
        people[p["partnership_id"]] = [
            (f"{p['partnership_id'][:3].upper()}{i:02d}", groups[rng.randrange(len(groups))],
             p["european_city_id"] if i % 2 else p["partner_city_id"]) for i in range(n)]
    for r_index, (round_id, held_on, label) in enumerate(ROUNDS):
        for p in parts:
            round_rows.append({"partnership_id": p["partnership_id"], "round_id": round_id,
                               "held_on": held_on, "label": label})
        for pr in fw.principles:
            target = PILOT_PROFILE[pr.id] + (ROUND2_CHANGE[pr.id] if r_index else 0.0)
            grid = _question_medians(rng, len(parts), len(pr.questions), target)
            for k, p in enumerate(parts):
                pid = p["partnership_id"]
                for qi, q in enumerate(pr.questions):
                    persons = people[pid]
                    answering = [x for x in persons if rng.random() > 0.12] or persons[:1]
                    spread = 2 if rng.random() < 0.08 else 1
                    values = _ratings_with_median(rng, grid[k][qi], len(answering), spread)
                    answered = dict(zip([a[0] for a in answering], values, strict=True))
                    for code, group, city in persons:
                        if code in answered:
                            ans, val = str(answered[code]), answered[code]
                        else:
                            ans, val = ("dk" if rng.random() < 0.6 else "na"), None
                        comment = None
                        if rng.random() < 0.03:
                            comment = f"Participant remark on {q.id} (confidential)."
                        rating_rows.append({
                            "partnership_id": pid, "round_id": round_id, "participant_code": code,
                            "stakeholder_group": group, "city_id": city, "question_id": q.id,
                            "answer": ans, "rating": val, "comment": comment})
                    if r_index == 1 and rng.random() < 0.04:
                        agreed_rows.append({
                            "partnership_id": pid, "round_id": round_id, "question_id": q.id,
                            "rating": min(5, grid[k][qi] + 1),
                            "reason": "Evidence shown in the workshop justified a higher rating."})
    for k, p in enumerate(parts):
        for j, pr_id in enumerate(("P09", "P05", "P04")):
            due = date(2023, 6 + 3 * j, 30)
            action_rows.append({
                "action_id": f"A-{j + 1:03d}", "partnership_id": p["partnership_id"],
                "principle_id": pr_id, "principles": pr_id, "round_id": "2022-pilot",
                "text": {"P09": "Draft a funding strategy with at least one co-financing partner",
                         "P05": "Publish the M&E results on both city websites",
                         "P04": "Agree shared KPIs with both statistical offices"}[pr_id],
                "enablers": {"P09": "Finance officers of both cities; a call with the regional development bank",
                             "P05": "Web editors' time; the M&E results in both languages",
                             "P04": "A data-sharing agreement between the two statistical offices"}[pr_id],
                "owner": "DDC office", "priority": {"P09": 5, "P05": 3, "P04": 4}[pr_id],
                "timeframe": due.isoformat(), "due": due,
                "status": ["done", "in progress", "open"][(k + j) % 3]})
    return {"ratings": pl.DataFrame(rating_rows, infer_schema_length=None),
            "rounds": pl.DataFrame(round_rows), "agreed": pl.DataFrame(agreed_rows),
            "actions": pl.DataFrame(action_rows)}


def _choices(dataset: str, column: str) -> tuple[str, ...]:
    """The coded values of a records column (a name missing from the schema is a bug here)."""
    col = DATASETS[dataset].column(column)
    if col is None:
        raise KeyError(f"{dataset}.{column}")
    return col.choices


def _records(rng: random.Random, parts: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    rec: dict[str, list[dict[str, Any]]] = {name: [] for name in DATASETS}
    types = _choices("activities", "type")
    for k, p in enumerate(parts):
        pid, eu, pc = p["partnership_id"], p["european_city_id"], p["partner_city_id"]
        maturity = 0.6 + 0.8 * rng.random()
        sdgs = [int(s) for s in p["sdgs"].split(",")]
        for qi, (y, q) in enumerate(QUARTERS):
            growth = 1 + qi / 12
            for a in range(rng.randint(2, 5)):
                aid = f"{pid}-{y}Q{q}-A{a}"
                d = date(y, 3 * q - 2 + rng.randint(0, 2), rng.randint(1, 28))
                city = eu if rng.random() < 0.35 else pc
                rec["activities"].append({
                    "activity_id": aid, "partnership_id": pid, "date": d, "city_id": city,
                    "type": rng.choice(types), "scope": rng.choices(["city", "functional_area", "rural"],
                                                                    [0.75, 0.18, 0.07])[0],
                    "sdg": rng.choice(sdgs) if rng.random() < 0.85 else None,
                    "budget_eur": round(rng.uniform(2_000, 40_000), 2), "title": f"Activity {aid}"})
                for i in range(int(rng.randint(4, 18) * growth * maturity)):
                    rec["participants"].append({
                        "participant_id": f"{aid}-P{i}", "partnership_id": pid, "date": d,
                        "activity_id": aid, "city_id": city,
                        "stakeholder_group": rng.choices(list(STAKEHOLDER_GROUPS),
                                                         [0.4, 0.08, 0.2, 0.12, 0.08, 0.07, 0.05])[0],
                        "sex": rng.choices(["female", "male", "other", "unknown"], [0.46, 0.44, 0.01, 0.09])[0]})
            for b in range(3):
                src = rng.choices(["eu_grant", "city_own", "national", "private", "other_donor"],
                                  [0.62, 0.2, 0.08, 0.04 * maturity, 0.06])[0]
                rec["budget_lines"].append({
                    "line_id": f"{pid}-{y}Q{q}-B{b}", "partnership_id": pid,
                    "date": date(y, 3 * q - 1, 15), "city_id": pc if b else eu,
                    "city_role": "partner" if b else "european",
                    "category": rng.choice(_choices("budget_lines", "category")),
                    "source": src, "amount_eur": round(rng.uniform(5_000, 60_000), 2)})
            if rng.random() < 0.5 * maturity:
                n = rng.randint(1, 3)
                rec["staff_exchanges"].append({
                    "exchange_id": f"{pid}-{y}Q{q}-X", "partnership_id": pid, "date": date(y, 3 * q - 1, 3),
                    "from_city_id": eu if rng.random() < 0.5 else pc, "to_city_id": pc, "staff_count": n,
                    "person_days": float(n * rng.randint(5, 20)), "sex": rng.choice(["female", "male"])})
            if rng.random() < 0.35:
                kind = rng.choice(["m_and_e_report", "good_practice", "data_release", "press", "academic"])
                rec["publications"].append({
                    "publication_id": f"{pid}-{y}Q{q}-PUB", "partnership_id": pid, "date": date(y, 3 * q, 20),
                    "kind": kind, "public": rng.random() < 0.8, "title": f"{kind.replace('_', ' ')} {y}"})
        if k % 9 != 4:  # a few partnerships have no digital tools: "missing: no data", not zero
            launch = QUARTERS[rng.randrange(len(QUARTERS))]
            rec["digital_tools"].append({
                "tool_id": f"{pid}-T1", "partnership_id": pid, "date": date(launch[0], 3 * launch[1] - 2, 10),
                "city_id": pc, "kind": rng.choice(["platform", "open_data_portal", "dashboard", "app"]),
                "status": "live" if rng.random() < 0.8 else "planned", "users": rng.randint(50, 3000)})
    return rec


def _observations(rng: random.Random, cat: Catalogue) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    rows, targets = [], []
    city_inds = [i for i in cat.ordered if i.family == "city"]
    for ci, (cid, _name, _country, _iso, _pop) in enumerate(CITIES):
        european = ci % 2 == 0
        for ind in city_inds:
            # Partner cities report fewer long-list indicators; some gaps everywhere.
            p_missing = (0.05 if ind.list == "simplified" else 0.2) + (0.0 if european else 0.15)
            if rng.random() < p_missing:
                continue
            end, worst = ind.end_value.value, ind.bounds.worst
            pos = rng.uniform(0.55, 0.95) if european else rng.uniform(0.15, 0.7)
            speed = rng.uniform(-0.01, 0.035)
            lo = ind.plausible.min if ind.plausible.min is not None else -1e12
            hi = ind.plausible.max if ind.plausible.max is not None else 1e12

            def value_at(t: float, pos: float = pos, speed: float = speed, end: float = end,
                         worst: float = worst, lo: float = lo, hi: float = hi) -> float:
                x = worst + (end - worst) * min(1.1, pos + speed * t) + rng.gauss(0, 0.01) * abs(end - worst)
                return round(min(hi, max(lo, x)), 2)

            binary = ind.unit == "yes/no"
            status_last = "P" if rng.random() < 0.3 else None
            if ind.periodicity == "quarterly" or ind.id in ("pm25_mean", "disaster_affected"):
                for qi, (y, q) in enumerate(QUARTERS):
                    v = value_at(qi / 4)
                    if ind.id == "disaster_affected":
                        v = round(v / 4, 2)
                    rows.append(_obs(ind.observation_code, cid, y, q, v,
                                     status_last if y == 2024 and q == 4 else None))
            else:
                for t, y in enumerate(range(2019, 2025)):
                    v = (1.0 if pos + speed * t > 0.6 else 0.0) if binary else value_at(t)
                    status = status_last if y == 2024 else None
                    if ind.id == "ghg_per_capita" and y == 2021 and european:
                        status = "B"  # new inventory method: a break in series
                    rows.append(_obs(ind.observation_code, cid, y, 0, v, status))
            if european and not binary and rng.random() < 0.15:
                local = end if ind.polarity == "higher" else end * 1.5
                targets.append({"code": ind.observation_code, "city_id": cid,
                                "value": round(worst + (local - worst) * 0.9, 2), "year": 2030,
                                "source": "city climate and SDG plan (demo)"})
    return rows, targets


def _obs(code: str, city: str, y: int, q: int, v: float, status: str | None) -> dict[str, Any]:
    return {"code": code, "city_id": city, "period": f"{y}-Q{q}" if q else str(y), "year": y, "quarter": q,
            "disagg": "", "value": v, "unit": None, "obs_status": status, "action": "A"}


def fill_demo(con: DuckDBPyConnection, cat: Catalogue | None = None, fw: Framework | None = None) -> dict[str, int]:
    """Write the whole demo in one transaction (all or nothing)."""
    cat = cat or load_catalogue()
    fw = fw or load_framework()
    rng = random.Random(SEED)
    parts = partnerships()
    rec = _records(rng, parts)
    obs, targets = _observations(rng, cat)
    rat = _ratings(rng, fw, parts)
    with transaction(con):
        vid = new_vintage(con, "demo", "embedded demo (seed 2022)", None, len(obs),
                          note="deterministic demo workspace")
        cities = pl.DataFrame([{"city_id": c[0], "name": c[1], "country": c[2], "iso2": c[3],
                                "population": float(c[4]), "region": None} for c in CITIES],
                              schema_overrides={"region": pl.String})
        insert_frame(con, "cities", cities)
        insert_frame(con, "partnerships", pl.DataFrame(parts))
        for name, rows in rec.items():
            insert_frame(con, f"rec_{name}", pl.DataFrame(rows, infer_schema_length=None), vintage_id=vid)
        insert_frame(con, "observations", pl.DataFrame(obs, infer_schema_length=None), vintage_id=vid)
        insert_frame(con, "targets", pl.DataFrame(targets), vintage_id=vid)
        for name, df in rat.items():
            insert_frame(con, name, df, vintage_id=vid)
    return {"partnerships": len(parts), "cities": len(CITIES), "observations": len(obs),
            "ratings": rat["ratings"].height, **{k: len(v) for k, v in rec.items()}}
