"""Synthetic site assessments for the demo operation, several rounds, deterministic.

Populations evolve from round to round through arrivals and departures (so the population
balance holds), with origins in other districts, ranked needs and conditions. A few sites
are made to stand out on purpose, so reviewers and summaries have something to flag:

* `SO-0007`: population jumps tenfold in round 3 (an entry error, as it would look);
* `SO-0011`: round 3 population far from last round + arrivals - departures;
* `SO-0013`: declares a district other than the one its point falls in;
* every twentieth site is not assessed in the last round.

The same code generates items for the ingest benchmark.
"""

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from forms.core import DISPLACEMENT_REASONS as REASONS
from forms.core import NEEDS
from geodata.models.assessments import SEX_AGE_FIELDS

NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "dtm-demo-assessments")
NEED_WEIGHTS = np.array([22, 18, 8, 14, 9, 10, 4, 5, 4, 5, 1], dtype=float)
REASON_WEIGHTS = np.array([45, 35, 10, 5, 5], dtype=float)
# Share of each sex and age band in a displaced population (female then male, 0-4 to 60+).
SEX_AGE_SHARES = np.array([0.09, 0.15, 0.23, 0.04, 0.09, 0.14, 0.21, 0.05])
HOUSEHOLDS_BY_TYPE = {
    "camp": 900,
    "collective_centre": 120,
    "informal_settlement": 400,
    "host_community": 250,
    "transit_centre": 80,
    "other": 150,
}
TENFOLD_SITE, IMBALANCE_SITE, MISMATCH_SITE = "SO-0007", "SO-0011", "SO-0013"


@dataclass(frozen=True)
class DemoRound:
    number: int
    name: str
    start: date
    end: date
    closed: bool


def demo_rounds(count: int = 4, first_start: date = date(2026, 3, 1)) -> list[DemoRound]:
    """Two-month rounds in the past (so no date is "in the future"); all but the last closed."""
    rounds = []
    start = first_start
    for number in range(1, count + 1):
        end = (start + timedelta(days=62)).replace(day=1) - timedelta(days=1)
        rounds.append(DemoRound(number, f"Round {number}", start, end, closed=number < count))
        start = end + timedelta(days=1)
    return rounds


@dataclass(frozen=True)
class DemoSite:
    site_id: str
    name: str
    site_type: str
    lon: float
    lat: float
    admin1_pcode: str | None
    admin2_pcode: str | None


def demo_items(
    sites: list[DemoSite],
    rounds: list[DemoRound],
    districts: dict[str, str],
    form_version: str,
    seed: int = 7,
) -> list[list[dict]]:
    """Sync items (the shape a tablet sends) for every site and round: one list per round.
    `districts` maps each admin-2 P-code to its admin-1 parent."""
    rng = np.random.default_rng(seed)
    per_round: list[list[dict]] = [[] for _ in rounds]
    for index, site in enumerate(sites):
        households = max(5, int(rng.lognormal(np.log(HOUSEHOLDS_BY_TYPE[site.site_type]), 0.5)))
        size = rng.uniform(4.2, 6.2)
        individuals = int(households * size)
        origins = _origins(rng, districts, site.admin2_pcode)
        for position, current in enumerate(rounds):
            if position == len(rounds) - 1 and index % 20 == 19:
                continue  # not assessed in the last round
            if position == 0 or (site.site_id == TENFOLD_SITE and current.number == 3):
                # The tenfold site's population stays put, so its entry error is exactly 10x.
                arrivals = departures = 0
            else:
                arrivals = int(individuals * rng.uniform(0.0, 0.15))
                departures = int(individuals * rng.uniform(0.0, 0.10))
                individuals = max(10, individuals + arrivals - departures)
            reported = individuals
            if site.site_id == TENFOLD_SITE and current.number == 3:
                reported = individuals * 10
            if site.site_id == IMBALANCE_SITE and current.number == 3:
                reported = int(individuals * 1.6)
            households = max(1, int(reported / size))
            per_round[position].append(
                _item(
                    rng,
                    site,
                    current,
                    reported,
                    households,
                    arrivals,
                    departures,
                    origins,
                    districts,
                    form_version,
                )
            )
    return per_round


def _origins(rng, districts: dict[str, str], own: str | None) -> list[tuple]:
    """One to three districts of origin with their share of the population and a reason."""
    candidates = [d for d in sorted(districts) if d != own] or sorted(districts)
    count = int(rng.integers(1, 4))
    chosen = rng.choice(len(candidates), size=min(count, len(candidates)), replace=False)
    shares = rng.dirichlet(np.ones(len(chosen))) * rng.uniform(0.6, 1.0)
    reasons = rng.choice(len(REASONS), size=len(chosen), p=REASON_WEIGHTS / REASON_WEIGHTS.sum())
    return [
        (districts[candidates[c]], candidates[c], float(s), REASONS[r])
        for c, s, r in zip(chosen, shares, reasons, strict=True)
    ]


def _item(
    rng,
    site: DemoSite,
    current: DemoRound,
    individuals: int,
    households: int,
    arrivals: int,
    departures: int,
    origins,
    districts: dict[str, str],
    form_version: str,
) -> dict:
    bands = np.floor(SEX_AGE_SHARES * individuals).astype(int)
    bands[6] += individuals - int(bands.sum())  # exact total
    needs = rng.choice(len(NEEDS), size=3, replace=False, p=NEED_WEIGHTS / NEED_WEIGHTS.sum())
    day = current.start + timedelta(days=int(rng.integers(0, (current.end - current.start).days)))
    declared2 = site.admin2_pcode
    if site.site_id == MISMATCH_SITE and site.admin2_pcode:
        declared2 = next(d for d in sorted(districts) if d != site.admin2_pcode)
    data = {
        "site_id": site.site_id,
        "site_name": site.name,
        "site_type": site.site_type,
        "site_status": "open",
        "round": current.number,
        "assessment_date": day.isoformat(),
        "location": {
            "lat": site.lat,
            "lon": site.lon,
            "accuracy": round(float(rng.uniform(3, 15)), 1),
        },
        "admin1_pcode": districts.get(declared2, site.admin1_pcode),
        "admin2_pcode": declared2,
        "households": households,
        "individuals": individuals,
        **{name: int(v) for name, v in zip(SEX_AGE_FIELDS, bands, strict=True)},
        "arrivals_households": int(arrivals / 5),
        "arrivals_individuals": arrivals,
        "departures_households": int(departures / 5),
        "departures_individuals": departures,
        "origins": [
            {
                "origin_admin1_pcode": adm1,
                "origin_admin2_pcode": adm2,
                "origin_households": max(0, int(households * share)),
                "origin_individuals": max(0, int(individuals * share)),
                "displacement_reason": reason,
            }
            for adm1, adm2, share, reason in origins
        ],
        "priority_need_1": NEEDS[needs[0]],
        "priority_need_2": NEEDS[needs[1]],
        "priority_need_3": NEEDS[needs[2]],
        "functional_latrines": int(max(0, individuals / rng.uniform(20, 90))),
        "functional_water_points": int(max(0, individuals / rng.uniform(150, 600))),
        "health_facility_access": "yes" if rng.random() < 0.7 else "no",
        "site_management": "yes" if site.site_type in ("camp", "collective_centre") else "no",
    }
    return {
        "id": str(uuid.uuid5(NAMESPACE, f"{site.site_id}:{current.number}")),
        "form_id": "site_assessment",
        "form_version": form_version,
        "base_version": None,
        "collected_at": f"{day.isoformat()}T10:00:00+03:00",
        "data": data,
    }
