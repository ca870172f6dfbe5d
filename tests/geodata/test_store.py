"""The store on both backends: replacing admin levels, parents, re-placing sites, sequences."""

import geopandas as gpd
import pytest
import shapely
from sqlalchemy import func, select

from dtm.extensions import db
from geodata.boundaries import read_boundaries
from geodata.errors import BoundaryImportError
from geodata.models import AdminArea, Site
from geodata.store import open_store
from tests.support import SOMALIA_ADM1, SOMALIA_ADM2


@pytest.fixture
def store(app):
    with app.app_context():
        yield open_store(db.session)
        db.session.rollback()


def test_store_matches_the_backend(store, backend):
    assert store.backend == {"sqlite": "sqlite", "postgis": "postgis"}[backend]


def test_replacing_a_level_is_whole_and_relinks(store):
    store.replace_admin_level(read_boundaries(SOMALIA_ADM1, 1))
    report = store.replace_admin_level(read_boundaries(SOMALIA_ADM2, 2))
    assert report.parents_from_column == 74
    store.replace_admin_level(read_boundaries(SOMALIA_ADM2, 2))  # again: replaced, not added
    db.session.commit()
    count = db.session.execute(select(func.count()).where(AdminArea.level == 2)).scalar_one()
    assert count == 74
    banadir = db.session.execute(select(AdminArea).where(AdminArea.pcode == "SO22")).scalar_one()
    assert banadir.geom.geom_type == "MultiPolygon" and banadir.geom.is_valid


def test_parents_by_containment_when_the_file_has_none(store, tmp_path):
    frame = gpd.read_file(SOMALIA_ADM2)
    expected = dict(zip(frame.ADM2_PCODE, frame.ADM1_PCODE, strict=True))
    path = tmp_path / "adm2_no_parent.geojson"
    frame[["ADM2_PCODE", "ADM2_EN", "geometry"]].to_file(path, driver="GeoJSON")
    store.replace_admin_level(read_boundaries(SOMALIA_ADM1, 1))
    report = store.replace_admin_level(read_boundaries(path, 2))
    assert report.parents_by_containment == 74 and report.parents_missing == 0
    found = dict(
        db.session.execute(
            select(AdminArea.pcode, AdminArea.parent_pcode).where(AdminArea.level == 2)
        ).all()
    )
    assert found == expected


def test_children_linked_by_containment_follow_a_parent_reimport(store, tmp_path):
    frame = gpd.read_file(SOMALIA_ADM2)
    path = tmp_path / "adm2_no_parent.geojson"
    frame[["ADM2_PCODE", "ADM2_EN", "geometry"]].to_file(path, driver="GeoJSON")
    store.replace_admin_level(read_boundaries(path, 2))  # no parent level yet
    assert (
        db.session.execute(
            select(func.count()).where(AdminArea.parent_pcode.is_not(None))
        ).scalar_one()
        == 0
    )
    store.replace_admin_level(read_boundaries(SOMALIA_ADM1, 1))
    linked = db.session.execute(
        select(func.count()).where(AdminArea.level == 2, AdminArea.parent_source == "containment")
    ).scalar_one()
    assert linked == 74


def test_a_pcode_already_used_at_another_level_is_refused(store, tmp_path):
    store.replace_admin_level(read_boundaries(SOMALIA_ADM1, 1))
    with pytest.raises(BoundaryImportError, match="already loaded at another level"):
        store.replace_admin_level(read_boundaries(SOMALIA_ADM1, 2, pcode_column="ADM1_PCODE"))


def test_sites_are_placed_and_replaced_after_a_reimport(store):
    store.replace_admin_level(read_boundaries(SOMALIA_ADM1, 1))
    sites = [
        Site(
            site_id="MOG",
            lon=45.3182,
            lat=2.0469,
            geom=shapely.Point(45.3182, 2.0469),
            declared_admin1_pcode="SO22",
        ),
        Site(site_id="SEA", lon=50.0, lat=5.0, geom=shapely.Point(50, 5)),
        Site(site_id="NOGPS"),
        Site(
            site_id="WRONG",
            lon=44.065,
            lat=9.56,
            geom=shapely.Point(44.065, 9.56),
            declared_admin1_pcode="SO22",
        ),
    ]
    db.session.add_all(sites)
    outcome = store.place_sites(sites)
    assert (outcome.located, outcome.outside, outcome.no_location, outcome.mismatched) == (
        2,
        1,
        1,
        1,
    )
    db.session.commit()
    by_code = {s.site_id: s for s in db.session.execute(select(Site)).scalars()}
    assert by_code["MOG"].admin1_pcode == "SO22" and by_code["MOG"].admin2_pcode is None
    assert by_code["SEA"].location_status == "outside"
    assert by_code["NOGPS"].location_status == "no_location"
    assert by_code["WRONG"].admin_mismatch is True
    report = store.replace_admin_level(read_boundaries(SOMALIA_ADM2, 2))
    assert report.sites_relocated == 4
    db.session.commit()
    mogadishu = db.session.execute(select(Site).where(Site.site_id == "MOG")).scalar_one()
    assert mogadishu.admin2_pcode is not None and mogadishu.admin2_pcode.startswith("SO22")


def test_bbox_filter_gives_the_same_areas_on_both_backends(store):
    store.replace_admin_level(read_boundaries(SOMALIA_ADM1, 1))
    around_mogadishu = (45.2, 1.9, 45.5, 2.2)
    pcodes = {a.pcode for a in store.admin_areas(level=1, bbox=around_mogadishu)}
    assert "SO22" in pcodes and "SO11" not in pcodes
    # Independent check with shapely on the source file.
    frame = gpd.read_file(SOMALIA_ADM1)
    expected = set(frame[frame.intersects(shapely.box(*around_mogadishu))].ADM1_PCODE)
    assert pcodes == expected


def test_sequences_count_up_per_name(store):
    assert [store.next_seq("reference") for _ in range(3)] == [1, 2, 3]
    assert store.next_seq("other") == 1
    db.session.commit()
    assert store.current_seq("reference") == 3
