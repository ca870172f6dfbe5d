"""The locator against real boundaries and against facts known independently of our code."""

import csv

import numpy as np
import pytest
import shapely
from shapely.geometry import Polygon

from geodata.boundaries import read_boundaries
from geodata.locate import AreaRecord, Locator
from tests.support import SOMALIA_ADM1, SOMALIA_ADM2


def locator_for(*layers):
    return Locator(
        AreaRecord(a.pcode, layer.level, a.parent_pcode, a.geom)
        for layer in layers
        for a in layer.areas
    )


@pytest.fixture(scope="module")
def somalia():
    adm1 = read_boundaries(SOMALIA_ADM1, 1)
    adm2 = read_boundaries(SOMALIA_ADM2, 2)
    names = {a.pcode: a.name for a in adm1.areas + adm2.areas}
    return locator_for(adm1, adm2), names


# Cities and the region and district they are in (general knowledge, not from the files).
CITIES = [
    ("Mogadishu", 45.3182, 2.0469, "Banadir", "Banadir"),
    ("Hargeisa", 44.0650, 9.5600, "Woqooyi Galbeed", "Hargeysa"),
    ("Kismayo", 42.5454, -0.3582, "Lower Juba", "Kismaayo"),
    ("Bosaso", 49.1816, 11.2842, "Bari", "Bossaso"),
    ("Garowe", 48.4845, 8.4054, "Nugaal", "Garoowe"),
    ("Galkayo", 47.4308, 6.7697, "Mudug", "Gaalkacyo"),
    ("Beledweyne", 45.2036, 4.7358, "Hiraan", "Belet Weyne"),
    ("Baidoa", 43.6498, 3.1138, "Bay", "Baydhaba"),
]


@pytest.mark.parametrize(
    ("city", "lon", "lat", "region", "district"), CITIES, ids=[c[0] for c in CITIES]
)
def test_known_cities_fall_in_their_region_and_district(somalia, city, lon, lat, region, district):
    locator, names = somalia
    placed = locator.locate_one(lon, lat)
    assert names[placed[1]] == region
    assert names[placed[2]] == district


def test_points_outside_every_area_get_none(somalia):
    locator, _ = somalia
    placement = locator.locate(
        [50.0, 45.0, np.nan], [5.0, 2.0, np.nan]
    )  # Indian Ocean; Mogadishu; none
    assert placement.pcodes[1][0] is None and placement.pcodes[2][0] is None
    assert placement.inside_any.tolist() == [False, True, False]
    assert placement.pcodes[1][2] is None


def test_shared_edge_gets_one_deterministic_answer():
    west = Polygon([(0, 0), (1, 0), (1, 1), (0, 1)])
    east = Polygon([(1, 0), (2, 0), (2, 1), (1, 1)])
    areas = [AreaRecord("B2", 1, None, east), AreaRecord("A1", 1, None, west)]
    on_edge = ([1.0, 1.0], [0.5, 0.0])  # mid-edge and a shared corner
    for ordering in (areas, list(reversed(areas))):
        placement = Locator(ordering).locate(*on_edge)
        assert placement.pcodes[1].tolist() == ["A1", "A1"]
    assert Locator(areas).locate_one(1.5, 0.5)[1] == "B2"


def test_coarser_levels_follow_the_hierarchy():
    # The admin-1 polygons disagree with the admin-2 parent near x=1 (as simplified layers do).
    adm1 = [
        AreaRecord("P1", 1, None, Polygon([(0, 0), (0.9, 0), (0.9, 1), (0, 1)])),
        AreaRecord("P2", 1, None, Polygon([(0.9, 0), (2, 0), (2, 1), (0.9, 1)])),
    ]
    adm2 = [
        AreaRecord("P1-A", 2, "P1", Polygon([(0, 0), (1, 0), (1, 1), (0, 1)])),
        AreaRecord("P2-A", 2, "P2", Polygon([(1, 0), (2, 0), (2, 1), (1, 1)])),
    ]
    placed = Locator(adm1 + adm2).locate_one(0.95, 0.5)
    assert placed == {1: "P1", 2: "P1-A"}


def test_every_somalia_district_centre_maps_to_itself_and_its_parent(somalia):
    locator, _ = somalia
    adm2 = read_boundaries(SOMALIA_ADM2, 2)
    inner = shapely.point_on_surface([a.geom for a in adm2.areas])
    placement = locator.locate_points(np.array(inner, dtype=object))
    assert placement.pcodes[2].tolist() == [a.pcode for a in adm2.areas]
    assert placement.pcodes[1].tolist() == [a.parent_pcode for a in adm2.areas]


@pytest.mark.shared_data
def test_malawi_dtm_sites_fall_in_their_declared_region(shared_data):
    """The shared data README reports 762 of the 764 GPS points inside their declared adm1."""
    adm1 = read_boundaries(shared_data / "mwi_admbnda_adm1_nso_hotosm_20230405_dv.geojson", 1)
    with open(shared_data / "mwi_dtm_b2_01_location_assessment_2024.csv", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["_m1650_loc_gps_coords_latitude"]]
    assert len(rows) == 764
    lons = [float(r["_m1650_loc_gps_coords_longitude"]) for r in rows]
    lats = [float(r["_m1650_loc_gps_coords_latitude"]) for r in rows]
    placed = locator_for(adm1).locate(lons, lats).pcodes[1]
    assert all(code is not None for code in placed)
    agree = sum(code == r["m0303_meta_adm1_pcode"] for code, r in zip(placed, rows, strict=True))
    assert agree == 762


@pytest.mark.shared_data
def test_malawi_dtm_sites_fall_in_their_declared_district(shared_data):
    """README: 760 of 764 inside a WFP district polygon; 755 equal the declared district."""
    adm2 = read_boundaries(
        shared_data / "mwi_adm2_wfp_revised_with_cod_pcodes.geojson",
        2,
        pcode_column="cod_adm2_pcode",
        parent_column="cod_adm1_pcode",
    )
    with open(shared_data / "mwi_dtm_b2_01_location_assessment_2024.csv", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["_m1650_loc_gps_coords_latitude"]]
    lons = [float(r["_m1650_loc_gps_coords_longitude"]) for r in rows]
    lats = [float(r["_m1650_loc_gps_coords_latitude"]) for r in rows]
    placed = locator_for(adm2).locate(lons, lats).pcodes[2]
    assert sum(code is not None for code in placed) == 760
    # The WFP layer has no city polygons; COD puts four cities inside their districts.
    city_to_district = {"MW315": "MW305", "MW314": "MW303", "MW210": "MW206", "MW107": "MW105"}
    declared = [
        city_to_district.get(r["m0304_meta_adm2_pcode"], r["m0304_meta_adm2_pcode"]) for r in rows
    ]
    assert sum(p == d for p, d in zip(placed, declared, strict=True)) == 755
