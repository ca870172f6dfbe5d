"""Fixtures shared by the exports, OGC API and DTM API tests.

`exports`: Somalia boundaries, the bundled form, rounds 1 and 2 and these sites:
    S1 camp, SO1101        r1 10 hh / 50 ind      r2 12 / 60 (origins SO1102 20, SO1201 15)
    S2 informal, SO1102    r1 20 / 100            r2 25 / 1000 (origins SO1202 400, SO1203 100)
    S3 camp, SO1201        r1 5 / 30
    S4 camp, no GPS        r1 2 / 3 (small counts: suppressed for partners at threshold 5)
S1's round-1 assessment carries the personal answers in PERSONAL_ANSWERS.
"""

import pytest

from dtm.extensions import db
from tests.builders import ingest, item, load_somalia, origin, publish_bundled
from tests.support import bearer

PERSONAL_ANSWERS = {
    "enumerator_name": "Amina Yusuf",
    "ki_name": "Hassan Ali",
    "ki_phone": "+252 61 000 0000",
    "comments": 'Leader says "all fine",\nnext visit soon',
}


@pytest.fixture
def exports(app, make_user, client):
    with app.app_context():
        load_somalia(db.session)
        publish_bundled(db.session)
        db.session.commit()
    users = {role: make_user(role)[1] for role in ("coordinator", "partner", "admin", "enumerator")}
    for number, start, end in ((1, "2026-10-01", "2026-10-31"), (2, "2026-11-01", "2026-11-30")):
        response = client.post(
            "/api/v1/rounds",
            json={
                "number": number,
                "name": f"Round {number}",
                "start_date": start,
                "end_date": end,
            },
            headers=bearer(users["coordinator"]),
        )
        assert response.status_code == 201, response.get_json()
    round1 = [
        item("S1", 1, where="SO1101", households=10, individuals=50, **PERSONAL_ANSWERS),
        item(
            "S2",
            1,
            where="SO1102",
            site_type="informal_settlement",
            households=20,
            individuals=100,
        ),
        item("S3", 1, where="SO1201", households=5, individuals=30),
        item("S4", 1, declared="SO1101", households=2, individuals=3),
    ]
    round2 = [
        item(
            "S1",
            2,
            where="SO1101",
            households=12,
            individuals=60,
            origins=[origin("SO11", "SO1102", 5, 20), origin("SO12", "SO1201", 3, 15)],
        ),
        item(
            "S2",
            2,
            where="SO1102",
            site_type="informal_settlement",
            households=25,
            individuals=1000,
            origins=[origin("SO12", "SO1202", 10, 400), origin(None, "SO1203", 2, 100)],
        ),
    ]
    with app.app_context():
        ingest(db.session, round1)
        ingest(db.session, round2)
        db.session.commit()
    return users
