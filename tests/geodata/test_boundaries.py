"""Reading COD-AB boundary files: formats, CRSs, column styles, repairs and every bad input."""

import json
import zipfile

import geopandas as gpd
import pytest
import shapely
from shapely.geometry import Point, Polygon

from geodata.boundaries import read_boundaries
from geodata.errors import BoundaryImportError
from tests.support import SOMALIA_ADM1, SOMALIA_ADM2


def test_reads_classic_cod_columns():
    layer = read_boundaries(SOMALIA_ADM1, level=1)
    assert layer.pcode_column == "ADM1_PCODE"
    assert layer.name_column == "ADM1_EN"
    assert len(layer.areas) == 18
    banadir = next(a for a in layer.areas if a.pcode == "SO22")
    assert banadir.name == "Banadir"
    assert banadir.parent_pcode == "SO"
    assert all(a.geom.geom_type == "MultiPolygon" for a in layer.areas)


def test_reads_lowercase_cod_columns(tmp_path):
    frame = gpd.read_file(SOMALIA_ADM2)[["ADM2_PCODE", "ADM2_EN", "ADM1_PCODE", "geometry"]]
    frame.columns = ["adm2_pcode", "adm2_name", "adm1_pcode", "geometry"]
    path = tmp_path / "lower.geojson"
    frame.to_file(path, driver="GeoJSON")
    layer = read_boundaries(path, level=2)
    assert (layer.pcode_column, layer.name_column, layer.parent_column) == (
        "adm2_pcode",
        "adm2_name",
        "adm1_pcode",
    )
    assert len(layer.areas) == 74
    assert {a.parent_pcode for a in layer.areas} <= {f"SO{n}" for n in range(11, 29)}


def test_reads_geopackage(tmp_path):
    path = tmp_path / "adm1.gpkg"
    gpd.read_file(SOMALIA_ADM1).to_file(path, driver="GPKG")
    assert len(read_boundaries(path, level=1).areas) == 18


def test_reads_zipped_shapefile_in_a_projected_crs(tmp_path):
    frame = gpd.read_file(SOMALIA_ADM1)[["ADM1_PCODE", "ADM1_EN", "geometry"]].to_crs(32638)
    folder = tmp_path / "shp"
    folder.mkdir()
    frame.to_file(folder / "som_adm1.shp")
    archive = tmp_path / "som_adm1.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for part in folder.iterdir():
            zipped.write(part, part.name)
    layer = read_boundaries(archive, level=1)
    minx, miny, maxx, maxy = shapely.union_all([a.geom for a in layer.areas]).bounds
    assert 40 < minx < 42 and 50 < maxx < 52  # back in degrees of longitude
    assert -2 < miny < 0 and 11 < maxy < 13


def test_numeric_pcodes_become_strings(tmp_path):
    square = Polygon([(0, 0), (1, 0), (1, 1), (0, 1)])
    frame = gpd.GeoDataFrame(
        {"ADM1_PCODE": [101, 202], "ADM1_EN": ["A", "B"]},
        geometry=[square, shapely.affinity.translate(square, 1)],
        crs=4326,
    )
    path = tmp_path / "numeric.gpkg"
    frame.to_file(path, driver="GPKG")
    assert [a.pcode for a in read_boundaries(path, level=1).areas] == ["101", "202"]


def test_invalid_polygons_are_repaired_and_counted(tmp_path):
    bowtie = Polygon([(0, 0), (2, 2), (2, 0), (0, 2), (0, 0)])
    assert not bowtie.is_valid
    path = write_geojson(
        tmp_path, [("XX01", "Bowtie", bowtie), ("XX02", "Fine", Polygon([(3, 0), (4, 0), (4, 1)]))]
    )
    layer = read_boundaries(path, level=1)
    assert layer.repaired_count == 1
    assert all(a.geom.is_valid for a in layer.areas)
    assert layer.areas[0].geom.area == pytest.approx(2.0)


def test_features_sharing_a_pcode_are_merged(tmp_path):
    path = write_geojson(
        tmp_path,
        [
            ("XX01", "Island A", Polygon([(0, 0), (1, 0), (1, 1)])),
            ("XX01", "Island B", Polygon([(5, 5), (6, 5), (6, 6)])),
        ],
    )
    layer = read_boundaries(path, level=1)
    assert len(layer.areas) == 1 and layer.merged_count == 1
    assert len(layer.areas[0].geom.geoms) == 2


def test_column_names_can_be_given(tmp_path):
    path = write_geojson(
        tmp_path,
        [("XX01", "A", Polygon([(0, 0), (1, 0), (1, 1)]))],
        pcode_key="code",
        name_key="label",
    )
    layer = read_boundaries(path, level=1, pcode_column="code", name_column="label")
    assert (layer.areas[0].pcode, layer.areas[0].name) == ("XX01", "A")


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda tmp: tmp / "missing.geojson", "no such file"),
        (lambda tmp: _text(tmp / "areas.csv", "a,b\n1,2\n"), "unknown format .csv"),
        (lambda tmp: _text(tmp / "broken.geojson", "{not json"), "cannot read it as GeoJSON"),
        (
            lambda tmp: _text(
                tmp / "empty.geojson", '{"type": "FeatureCollection", "features": []}'
            ),
            "contains no features",
        ),
        (
            lambda tmp: write_geojson(
                tmp, [("XX01", "A", Polygon([(0, 0), (1, 0), (1, 1)]))], pcode_key="code"
            ),
            "no P-code column for level 1",
        ),
        (
            lambda tmp: write_geojson(
                tmp, [("XX01", "A", Point(1, 1)), ("XX02", "B", Point(2, 2))]
            ),
            "must be polygons, but the file has 2 Point",
        ),
        (
            lambda tmp: _text(
                tmp / "nogeom.geojson",
                json.dumps(
                    {
                        "type": "FeatureCollection",
                        "features": [
                            {
                                "type": "Feature",
                                "geometry": None,
                                "properties": {"ADM1_PCODE": "X1"},
                            }
                        ],
                    }
                ),
            ),
            "have no geometry",
        ),
        (
            lambda tmp: write_geojson(tmp, [("", "A", Polygon([(0, 0), (1, 0), (1, 1)]))]),
            "have no P-code",
        ),
    ],
    ids=[
        "missing",
        "unknown-format",
        "unreadable",
        "empty",
        "no-pcode-column",
        "points",
        "null-geometry",
        "blank-pcode",
    ],
)
def test_bad_files_give_one_line_errors(tmp_path, make, message):
    path = make(tmp_path)
    with pytest.raises(BoundaryImportError) as caught:
        read_boundaries(path, level=1)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def write_geojson(tmp_path, rows, pcode_key="ADM1_PCODE", name_key="ADM1_EN"):
    features = [
        {
            "type": "Feature",
            "geometry": shapely.geometry.mapping(geom),
            "properties": {pcode_key: pcode, name_key: name},
        }
        for pcode, name, geom in rows
    ]
    path = tmp_path / "areas.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def _text(path, content):
    path.write_text(content)
    return path
