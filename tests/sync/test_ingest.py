"""Ingest: every status, every bad item, edits, rounds, sites, and isolation of bad items."""

import io
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from forms import BUNDLED_SITE_ASSESSMENT
from forms.registry import publish_form
from geodata.models import (
    Assessment,
    AssessmentOrigin,
    QuarantinedSubmission,
    Round,
    Site,
    Submission,
)
from sync.ingest import BatchContext, ingest_batch
from tests.support import HARGEISA, make_item


def ingest(session, items, **context):
    results = ingest_batch(session, items, BatchContext(**context))
    session.commit()
    return results


def count(session, model, *where):
    return session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def statuses(results):
    return [r.status for r in results]


def test_created_stores_submission_assessment_origins_and_site(session):
    received = datetime(2026, 3, 11, 8, 0, tzinfo=UTC)
    item = make_item()
    [result] = ingest(
        session, [item], device_id="tab-1", received_at=received, clock_skew_seconds=-42.5
    )
    assert (result.id, result.status, result.errors) == (item["id"], "created", [])

    stored = session.execute(select(Submission)).scalar_one()
    assert stored.submission_id == item["id"] and stored.root_id == item["id"]
    assert stored.device_id == "tab-1" and stored.clock_skew_seconds == -42.5
    assert stored.collected_at == "2026-03-10T09:30:00+03:00"  # device time, kept as sent
    assert stored.received_at.replace(tzinfo=UTC) == received
    assert stored.data["households"] == 100 and stored.status == "current"

    assessment = session.execute(select(Assessment)).scalar_one()
    assert (assessment.site_id, assessment.round_number, assessment.individuals) == (
        "SO-T-001",
        1,
        500,
    )
    assert assessment.assessment_date == date(2026, 3, 10)
    assert (assessment.admin1_pcode, assessment.admin2_pcode) == ("SO22", "SO2201")
    assert assessment.admin_mismatch is False and assessment.location_status == "located"
    assert (assessment.priority_need_1, assessment.health_facility_access) == ("food", "yes")
    origins = (
        session.execute(select(AssessmentOrigin).order_by(AssessmentOrigin.position))
        .scalars()
        .all()
    )
    assert [(o.origin_admin2_pcode, o.individuals, o.displacement_reason) for o in origins] == [
        ("SO2401", 300, "conflict"),
        ("SO2801", 90, "natural_disaster"),
    ]

    site = session.execute(select(Site)).scalar_one()
    assert (site.site_id, site.name, site.site_type, site.admin2_pcode) == (
        "SO-T-001",
        "Test camp",
        "camp",
        "SO2201",
    )
    assert (site.first_round, site.last_round, site.location_status) == (1, 1, "located")
    assert site.change_seq > 0


def test_identical_resend_is_a_duplicate_and_stores_nothing_new(session):
    item = make_item()
    assert statuses(ingest(session, [item])) == ["created"]
    assert statuses(ingest(session, [item])) == ["duplicate"]
    assert count(session, Submission) == 1 and count(session, Assessment) == 1
    assert count(session, QuarantinedSubmission) == 0


def test_same_id_other_content_is_a_conflict_kept_for_review(session):
    item = make_item()
    ingest(session, [item])
    changed = make_item(item_id=item["id"], households=101)
    [result] = ingest(session, [changed])
    assert result.status == "conflict" and result.errors[0]["field"] == "id"
    assert session.execute(select(Submission.data)).scalar_one()["households"] == 100
    kept = session.execute(select(QuarantinedSubmission)).scalar_one()
    assert (kept.reason, kept.submission_id, kept.status) == ("conflict", item["id"], "open")
    assert kept.payload["data"]["households"] == 101  # the whole incoming copy is kept
    assert statuses(ingest(session, [changed])) == ["conflict"]
    assert count(session, QuarantinedSubmission) == 1  # a resend adds nothing


def test_invalid_is_quarantined_and_a_fixed_resend_is_accepted(session):
    bad = make_item(individuals=50)  # fewer people than households, sex and age sum 500
    [result] = ingest(session, [bad])
    assert result.status == "invalid"
    fields = {e["field"] for e in result.errors}
    assert "individuals" in fields
    assert all(e["message"] for e in result.errors)
    assert count(session, Submission) == 0
    kept = session.execute(select(QuarantinedSubmission)).scalar_one()
    assert kept.reason == "invalid" and kept.errors == result.errors
    [again] = ingest(session, [bad])
    assert again.status == "invalid" and again.errors == result.errors
    assert count(session, QuarantinedSubmission) == 1
    fixed = make_item(item_id=bad["id"])
    assert statuses(ingest(session, [fixed])) == ["created"]


def test_edit_of_the_current_version_updates_it(session):
    original = make_item()
    ingest(session, [original])
    edit = make_item(base_version=original["id"], households=110, individuals=500)
    [result] = ingest(session, [edit])
    assert result.status == "updated"
    rows = {s.submission_id: s for s in session.execute(select(Submission)).scalars()}
    assert rows[original["id"]].status == "superseded"
    assert rows[edit["id"]].status == "current" and rows[edit["id"]].root_id == original["id"]
    current = session.execute(select(Assessment).where(Assessment.current)).scalars().all()
    assert [(a.submission_id, a.households) for a in current] == [(edit["id"], 110)]
    assert statuses(ingest(session, [edit])) == ["duplicate"]


def test_edit_of_a_replaced_version_is_a_conflict(session):
    original = make_item()
    ingest(session, [original])
    first_edit = make_item(base_version=original["id"], households=110)
    ingest(session, [first_edit])
    late_edit = make_item(base_version=original["id"], households=120)
    [result] = ingest(session, [late_edit])
    assert result.status == "conflict" and result.errors[0]["field"] == "base_version"
    current = session.execute(select(Assessment.households).where(Assessment.current)).scalars()
    assert list(current) == [110]
    assert session.execute(select(QuarantinedSubmission.reason)).scalar_one() == "conflict"


def test_two_edits_of_one_version_in_one_batch_only_the_first_wins(session):
    original = make_item()
    ingest(session, [original])
    one = make_item(base_version=original["id"], households=110)
    two = make_item(base_version=original["id"], households=120)
    assert statuses(ingest(session, [one, two])) == ["updated", "conflict"]


def test_edit_of_an_unknown_version_is_kept_for_review(session):
    [result] = ingest(session, [make_item(base_version=str(uuid.uuid4()))])
    assert result.status == "conflict"
    assert count(session, Submission) == 0 and count(session, QuarantinedSubmission) == 1


def test_one_bad_item_never_fails_the_others(session):
    good_one, good_two = make_item(site_id="SO-A"), make_item(site_id="SO-B")
    results = ingest(session, [good_one, "not an object", make_item(households=-5), good_two])
    assert statuses(results) == ["created", "invalid", "invalid", "created"]
    assert results[1].errors[0]["rule"] == "type"
    assert count(session, Submission) == 2 and count(session, QuarantinedSubmission) == 2


def test_repeated_id_inside_one_batch(session):
    item = make_item()
    other = make_item(item_id=item["id"], households=99)
    assert statuses(ingest(session, [item, item, other])) == ["created", "duplicate", "conflict"]


BAD_ITEMS = [
    ("missing-id", lambda: {**make_item(), "id": None}, "id", "required"),
    ("non-uuid-id", lambda: {**make_item(), "id": "12345"}, "id", "uuid"),
    ("unknown-form", lambda: {**make_item(), "form_id": "nope"}, "form_version", "unknown_form"),
    ("unknown-version", lambda: make_item(form_version="1999"), "form_version", "unknown_form"),
    ("data-not-object", lambda: {**make_item(), "data": [1, 2]}, "data", "type"),
    ("bad-base-version", lambda: {**make_item(), "base_version": "x"}, "base_version", "uuid"),
    ("wrong-type", lambda: make_item(households="many"), "households", "type"),
    (
        "impossible-coordinates",
        lambda: make_item(location={"lat": 95, "lon": 45}),
        "location",
        "range",
    ),
    ("negative-count", lambda: make_item(functional_latrines=-1), "functional_latrines", "min"),
    ("unknown-choice", lambda: make_item(site_type="palace"), "site_type", "choice"),
    ("unknown-pcode", lambda: make_item(admin2_pcode="SO9999"), "admin2_pcode", "pcode"),
    ("missing-required", lambda: make_item(site_id=None), "site_id", "required"),
]


@pytest.mark.parametrize(
    ("make", "field", "rule"), [b[1:] for b in BAD_ITEMS], ids=[b[0] for b in BAD_ITEMS]
)
def test_bad_items_are_invalid_with_a_precise_error_and_quarantined(session, make, field, rule):
    good = make_item(site_id="SO-GOOD")
    results = ingest(session, [make(), good])
    assert statuses(results) == ["invalid", "created"]
    assert (field, rule) in {(e["field"], e["rule"]) for e in results[0].errors}, results[0].errors
    assert count(session, QuarantinedSubmission, QuarantinedSubmission.reason == "invalid") == 1
    assert count(session, Submission) == 1


def test_round_is_named_or_found_by_date(session):
    session.add(
        Round(
            number=7,
            name="Round 7",
            start_date=date(2026, 3, 1),
            end_date=date(2026, 4, 30),
            status="open",
        )
    )
    session.commit()
    named = make_item(site_id="SO-1", round=3)
    by_date = make_item(site_id="SO-2", round=None, assessment_date="2026-03-15")
    outside = make_item(site_id="SO-3", round=None, assessment_date="2026-01-15")
    ingest(session, [named, by_date, outside])
    rounds = dict(session.execute(select(Assessment.site_id, Assessment.round_number)).all())
    assert rounds == {"SO-1": 3, "SO-2": 7, "SO-3": None}


def test_site_follows_its_newest_round_and_late_data_does_not_rewind_it(session):
    ingest(session, [make_item(round=2, site_name="Name in round 2")])
    ingest(session, [make_item(round=1, site_name="Old name", location=HARGEISA)])
    site = session.execute(select(Site)).scalar_one()
    assert site.name == "Name in round 2" and site.admin1_pcode == "SO22"
    assert (site.first_round, site.last_round) == (1, 2)
    assert count(session, Assessment) == 2


def test_declared_area_that_differs_from_the_located_one_is_flagged(session):
    ingest(session, [make_item(location=HARGEISA)])  # declares SO22/SO2201, stands in SO12
    assessment = session.execute(select(Assessment)).scalar_one()
    site = session.execute(select(Site)).scalar_one()
    assert assessment.admin_mismatch is True and site.admin_mismatch is True
    assert (site.admin1_pcode, site.declared_admin1_pcode) == ("SO12", "SO22")


def test_a_crash_before_commit_stores_nothing_and_a_resend_completes(session):
    items = [make_item(site_id=f"SO-{n}") for n in range(5)]
    ingest_batch(session, items, BatchContext())
    session.rollback()  # the process died before committing
    assert count(session, Submission) == 0 and count(session, Site) == 0
    assert statuses(ingest(session, items)) == ["created"] * 5
    assert statuses(ingest(session, items)) == ["duplicate"] * 5  # answer lost, sent again
    assert count(session, Submission) == 5


def test_an_item_the_database_refuses_is_quarantined_and_the_rest_stored(session, tmp_path):
    """A form version whose site_status allows a value the sites table's CHECK refuses:
    validation passes, the database says no, and only that item is set aside."""
    workbook = load_workbook(BUNDLED_SITE_ASSESSMENT)
    choices = workbook["choices"]
    header = [c.value for c in choices[1]]
    row = {"list_name": "site_status", "name": "abandoned", "label::English (en)": "Abandoned"}
    choices.append([row.get(h) for h in header])
    settings = workbook["settings"]
    version_column = [c.value for c in settings[1]].index("version") + 1
    settings.cell(row=2, column=version_column, value="2099010101")
    buffer = io.BytesIO()
    workbook.save(buffer)
    publish_form(session, buffer.getvalue(), "variant.xlsx")
    session.commit()
    refused = make_item(site_id="SO-X", site_status="abandoned", form_version="2099010101")
    fine = make_item(site_id="SO-Y", form_version="2099010101")
    results = ingest(session, [refused, fine])
    assert statuses(results) == ["invalid", "created"]
    assert results[0].errors[0]["rule"] == "store"
    assert session.execute(select(Site.site_id)).scalars().all() == ["SO-Y"]
    assert count(session, QuarantinedSubmission) == 1


def test_reference_sequence_moves_only_for_changed_sites(session):
    ingest(session, [make_item(site_id="SO-1"), make_item(site_id="SO-2")])
    seqs = dict(session.execute(select(Site.site_id, Site.change_seq)).all())
    ingest(session, [make_item(site_id="SO-1", round=2)])
    after = dict(session.execute(select(Site.site_id, Site.change_seq)).all())
    assert after["SO-1"] > max(seqs.values()) and after["SO-2"] == seqs["SO-2"]


def test_clock_skew_is_computed_by_the_caller_and_stored_per_item(session):
    sent = datetime(2026, 3, 11, 8, 0, tzinfo=UTC)
    received = sent + timedelta(minutes=7)
    ingest(
        session,
        [make_item()],
        received_at=received,
        clock_skew_seconds=(received - sent).total_seconds(),
    )
    assert session.execute(select(Submission.clock_skew_seconds)).scalar_one() == 420.0
