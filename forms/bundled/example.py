"""An example answer set for the bundled site assessment form."""

from __future__ import annotations


def example_site_assessment(n: int = 0) -> dict:
    """A valid, realistic bundled-form submission (about 40 answers, 2 origins).

    Answers are flat by question name, as ``forms.validate`` takes them; ``n`` varies the
    site ID. Used by tests and benchmarks, and handy for demo data.
    """
    return {
        "start": "2026-11-20T08:12:00.000+01:00",
        "end": "2026-11-20T08:41:00.000+01:00",
        "round": 12,
        "assessment_date": "2026-11-20",
        "ki_count": 3,
        "ki_types": ["site_manager", "community_leader"],
        "site_id": f"SD04-S{n:05d}",
        "site_name": "El Geneina Camp 3",
        "site_type": "camp",
        "site_status": "open",
        "admin1_pcode": "SD04",
        "admin2_pcode": "SD04111",
        "location": {"lat": 13.4521, "lon": 22.4473, "accuracy": 4.5},
        "site_management": "yes",
        "camp_committee": "yes",
        "women_in_committee": "no",
        "households": 150,
        "individuals": 720,
        "female_0_4": 60,
        "female_5_17": 110,
        "female_18_59": 170,
        "female_60_plus": 30,
        "male_0_4": 58,
        "male_5_17": 105,
        "male_18_59": 160,
        "male_60_plus": 27,
        "origins": [
            {
                "origin_admin1_pcode": "SD04",
                "origin_admin2_pcode": "SD04112",
                "origin_households": 100,
                "origin_individuals": 480,
                "displacement_reason": "conflict",
            },
            {
                "origin_admin1_pcode": "SD02",
                "origin_admin2_pcode": "SD02101",
                "origin_households": 50,
                "origin_individuals": 240,
                "displacement_reason": "communal_violence",
            },
        ],
        "arrivals_households": 12,
        "arrivals_individuals": 55,
        "departures_households": 3,
        "departures_individuals": 14,
        "departure_reason": "return",
        "priority_need_1": "food",
        "priority_need_2": "water",
        "priority_need_3": "shelter",
        "shelter_type": "makeshift",
        "main_water_source": "borehole",
        "functional_water_points": 4,
        "functional_latrines": 18,
        "latrines_separated": "no",
        "health_facility_access": "yes",
        "health_facility_distance": "1_to_5km",
    }
