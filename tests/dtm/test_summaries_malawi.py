"""The real IOM DTM Malawi location assessment (B2_01, 2024), through the whole product.

Imported with the CLI exactly as an operation would; the API's figures are compared with
sums computed here with pandas and geopandas over the original CSV and boundary files, and
with the figures the data's README publishes.

Where a site counts: in the district its GPS point falls in (WFP district polygons), and in
the province (admin 1) of that district; a point outside every district polygon counts in
the province polygon holding it. 12 locations have no GPS and 4 fall just outside the
district polygons: they are in the `unlocated` bucket at level 2 (the 12 also at level 1).
So located district totals differ from the declared-district totals the README lists; the
README's figures are checked against the declared codes the API reports for each site.
"""

import geopandas as gpd
import pandas as pd
import pytest

from tests.support import SHARED_DATA, bearer

pytestmark = pytest.mark.shared_data

CSV = "mwi_dtm_b2_01_location_assessment_2024.csv"
ADM1 = "mwi_admbnda_adm1_nso_hotosm_20230405_dv.geojson"
ADM2 = "mwi_adm2_wfp_revised_with_cod_pcodes.geojson"
CITIES = {"MW315": "MW305", "MW314": "MW303", "MW210": "MW206", "MW107": "MW105"}
README_ARRIVALS_BY_DISTRICT = {
    "MW311": 61_405,
    "MW305": 34_207,
    "MW310": 20_420,
    "MW304": 5_195,
    "MW312": 4_321,
    "MW308": 4_114,
    "MW302": 3_571,
    "MW301": 3_442,
    "MW309": 2_580,
    "MW313": 57,
}


@pytest.fixture
def malawi(shared_data, runner, make_user):
    steps = [
        ["boundaries", "import", str(shared_data / ADM1), "--level", "1"],
        [
            "boundaries",
            "import",
            str(shared_data / ADM2),
            "--level",
            "2",
            "--pcode-column",
            "cod_adm2_pcode",
            "--parent-column",
            "cod_adm1_pcode",
        ],
        ["forms", "publish", "--bundled"],
        [
            "assessments",
            "import",
            str(shared_data / CSV),
            "--mapping",
            "sync/mappings/iom_dtm_malawi_b2.toml",
            "--quiet",
        ],
    ]
    for args in steps:
        result = runner.invoke(args=args)
        assert result.exit_code == 0, result.output
    assert "776 rows: 776 created" in result.output
    return bearer(make_user("partner")[1])


@pytest.fixture(scope="module")
def expected():
    if not SHARED_DATA.is_dir():
        pytest.skip(f"needs the team's shared data at {SHARED_DATA} (absent here)")
    frame = pd.read_csv(SHARED_DATA / CSV, dtype={"m0445_loc_site_id_ssid": str})
    for column in ("m0310_loc_num_idp_ind", "m1536_loc_num_arrival_ind_period"):
        frame[column] = frame[column].fillna(0).astype(int)
    frame["declared_adm2"] = frame["m0304_meta_adm2_pcode"].replace(CITIES)
    points = gpd.GeoDataFrame(
        frame,
        geometry=gpd.points_from_xy(
            frame["_m1650_loc_gps_coords_longitude"], frame["_m1650_loc_gps_coords_latitude"]
        ),
        crs="EPSG:4326",
    )
    districts = gpd.read_file(SHARED_DATA / ADM2)[["cod_adm2_pcode", "cod_adm1_pcode", "geometry"]]
    provinces = gpd.read_file(SHARED_DATA / ADM1)[["ADM1_PCODE", "geometry"]]
    located = points[points.geometry.notna() & ~points.geometry.is_empty]
    in_district = (
        gpd.sjoin(located, districts, predicate="within")
        .sort_values("cod_adm2_pcode")
        .groupby(level=0)
        .first()
    )
    in_province = gpd.sjoin(located, provinces, predicate="within").groupby(level=0).first()
    frame["adm2"] = in_district["cod_adm2_pcode"]
    frame["adm1"] = in_district["cod_adm1_pcode"].combine_first(in_province["ADM1_PCODE"])
    return frame


def test_the_file_gives_the_readme_figures(expected):
    """The independent computation itself matches what the data's README publishes."""
    assert len(expected) == 776
    assert (expected["m0310_loc_num_idp_ind"] > 0).sum() == 444
    assert expected["adm2"].isna().sum() == 16  # 12 without GPS, 4 outside the polygons
    assert expected["adm1"].isna().sum() == 12
    declared = expected.groupby("declared_adm2")["m0310_loc_num_idp_ind"].sum()
    assert {k: v for k, v in declared.items() if v} == README_ARRIVALS_BY_DISTRICT


def test_country_totals_and_counts_of_locations(client, malawi, expected):
    body = client.get("/api/v1/summaries/regions?level=2&round=1", headers=malawi).get_json()
    total = body["total"]
    assert total["sites_assessed"] == 776
    assert total["individuals"] == 139_312 == expected["m0310_loc_num_idp_ind"].sum()
    assert total["households"] == 28_422
    assert total["arrivals_individuals"] == 139_312
    assert total["departures_individuals"] == 89_320
    assert total["returnee_individuals"] == 182_051
    assert total["returnee_households"] == 49_105

    sites = client.get("/api/v1/sites?round=1&limit=5000", headers=malawi).get_json()["sites"]
    assert len(sites) == 776

    def having(*names):
        return sum(all((s[n] or 0) > 0 for n in names) for s in sites)

    assert having("arrivals_individuals") == 444
    assert having("departures_individuals") == 388
    assert having("returnee_individuals") == 313
    assert having("arrivals_individuals", "departures_individuals", "returnee_individuals") == 154
    # The README's IDP arrivals by district use the declared district of each location.
    declared = pd.DataFrame(sites).groupby("declared_admin2_pcode")["individuals"].sum()
    assert {k: v for k, v in declared.items() if v} == README_ARRIVALS_BY_DISTRICT


@pytest.mark.parametrize("level", [1, 2])
def test_located_totals_by_district_and_region(client, malawi, expected, level):
    body = client.get(f"/api/v1/summaries/regions?level={level}&round=1", headers=malawi).get_json()
    column = f"adm{level}"
    sums = expected.groupby(column)[
        ["m0310_loc_num_idp_ind", "m1536_loc_num_arrival_ind_period"]
    ].sum()
    counts = expected.groupby(column).size()
    got = {r["pcode"]: r for r in body["regions"] if r["sites_assessed"]}
    assert set(got) == set(counts.index)
    for pcode, region in got.items():
        assert region["sites_assessed"] == counts[pcode], pcode
        assert region["individuals"] == sums.loc[pcode, "m0310_loc_num_idp_ind"], pcode
        assert region["arrivals_individuals"] == sums.loc[pcode, "m1536_loc_num_arrival_ind_period"]
    unlocated = expected[expected[column].isna()]
    assert body["unlocated"]["sites_assessed"] == len(unlocated)
    assert body["unlocated"]["individuals"] == unlocated["m0310_loc_num_idp_ind"].sum()
    assert (
        sum(r["individuals"] for r in body["regions"]) + body["unlocated"]["individuals"] == 139_312
    )


def test_located_district_differs_from_declared_where_the_point_says_so(client, malawi, expected):
    sites = client.get("/api/v1/sites?round=1&limit=5000", headers=malawi).get_json()["sites"]
    mismatched = {
        s["site_id"] for s in sites if any(f["code"] == "admin_mismatch" for f in s["flags"])
    }
    differs = expected[expected["adm2"].notna() & (expected["adm2"] != expected["declared_adm2"])]
    by_province = expected[
        expected["adm1"].notna() & (expected["adm1"] != expected["m0303_meta_adm1_pcode"])
    ]
    site_ids = expected["m0445_loc_site_id_ssid"].fillna(
        "MWI-DTM-" + expected["response_id"].astype(str)
    )
    assert mismatched == set(site_ids[differs.index.union(by_province.index)])


def test_movements_by_district(client, malawi, expected):
    body = client.get("/api/v1/movements?level=2&round=1", headers=malawi).get_json()
    arrivals = expected[expected["m0310_loc_num_idp_ind"] > 0].copy()
    origin = arrivals["m2685_loc_arrivals_origin_adm2"].str.split().str[0].replace(CITIES)
    arrivals["origin"] = origin
    flows = arrivals.groupby([arrivals["origin"].fillna("-"), arrivals["adm2"].fillna("-")])[
        "m0310_loc_num_idp_ind"
    ].sum()
    got = {
        (f["origin_pcode"] or "-", f["destination_pcode"] or "-"): f["individuals"]
        for f in body["flows"]
    }
    assert got == {k: v for k, v in flows.items() if v}
    assert sum(got.values()) == 139_312
    named = [f for f in body["flows"] if f["origin_pcode"] == "MW311"]
    assert named and all(f["origin_name"] for f in named)
