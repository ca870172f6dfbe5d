"""The bundled demo operation: real Somalia COD-AB boundaries and synthetic sites.

Deterministic: the same code always generates the same sites (fixed random seed), so tests
and screenshots can rely on them. Demo users get random passwords, written to the instance
folder (never committed) so `make run` can print how to sign in.
"""

import secrets
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dtm.accounts import create_user, issue_token
from forms import BUNDLED_SITE_ASSESSMENT
from forms.registry import publish_form
from geodata.boundaries import read_boundaries
from geodata.models import AdminArea, Site, User
from geodata.models.sites import SITE_TYPES
from geodata.store import open_store

DATA_DIR = Path(__file__).parent / "data"
BOUNDARY_FILES = {
    1: DATA_DIR / "som_admbnda_adm1_ocha_20230308_dv.geojson",
    2: DATA_DIR / "som_admbnda_adm2_ocha_20230308_dv.geojson",
}
SITE_COUNT = 240
SEED = 20261123
DEMO_ROLES = ("admin", "coordinator", "enumerator", "partner")
SITE_TYPE_WEIGHTS = (0.30, 0.15, 0.30, 0.15, 0.05, 0.05)  # in SITE_TYPES order
CREDENTIALS_FILE = "demo_credentials.txt"


@dataclass
class DemoCredentials:
    username: str
    role: str
    password: str
    token: str


def store_is_empty(session: Session) -> bool:
    areas = session.execute(select(func.count()).select_from(AdminArea)).scalar_one()
    sites = session.execute(select(func.count()).select_from(Site)).scalar_one()
    return areas == 0 and sites == 0


def load_demo(session: Session) -> list[DemoCredentials]:
    """Load boundaries, sites, the bundled form and one user per role. The caller commits."""
    store = open_store(session)
    for level, path in BOUNDARY_FILES.items():
        store.replace_admin_level(read_boundaries(path, level))
    sites = demo_sites(session)
    session.add_all(sites)
    store.place_sites(sites)
    store.mark_changed(sites)
    session.flush()
    # The bundled form, so the enumerator app (/collect/) has something to fill.
    publish_form(
        session, BUNDLED_SITE_ASSESSMENT.read_bytes(), filename=BUNDLED_SITE_ASSESSMENT.name
    )
    credentials = []
    for role in DEMO_ROLES:
        username = f"demo-{role}"
        if session.execute(select(User.id).where(User.username == username)).first():
            continue
        password = secrets.token_urlsafe(12)
        user = create_user(session, username, role, password)
        _, token = issue_token(session, user, label="demo")
        credentials.append(DemoCredentials(username, role, password, token))
    return credentials


def demo_sites(session: Session) -> list[Site]:
    """Synthetic sites spread over the admin-2 districts, more in a few 'hotspot' ones."""
    rng = np.random.default_rng(SEED)
    districts = session.execute(
        select(AdminArea.pcode, AdminArea.name, AdminArea.parent_pcode, AdminArea.geom)
        .where(AdminArea.level == 2)
        .order_by(AdminArea.pcode)
    ).all()
    weights = rng.gamma(0.6, 1.0, len(districts))
    weights /= weights.sum()
    chosen = rng.choice(len(districts), size=SITE_COUNT, p=weights)
    sites = []
    for number, district_index in enumerate(chosen, start=1):
        pcode, name, parent, geom = districts[district_index]
        lon, lat = _random_point_in(geom, rng)
        site_type = SITE_TYPES[rng.choice(len(SITE_TYPES), p=SITE_TYPE_WEIGHTS)]
        label = site_type.replace("_", " ").title()
        sites.append(
            Site(
                site_id=f"SO-{number:04d}",
                name=f"{name} {label} {number}",
                site_type=site_type,
                status="open",
                lon=round(lon, 6),
                lat=round(lat, 6),
                geom=shapely.Point(round(lon, 6), round(lat, 6)),
                declared_admin1_pcode=parent,
                declared_admin2_pcode=pcode,
            )
        )
    return sites


def _random_point_in(geom, rng) -> tuple[float, float]:
    minx, miny, maxx, maxy = geom.bounds
    shapely.prepare(geom)
    for _ in range(1000):
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if shapely.contains_xy(geom, x, y):
            return x, y
    point = geom.representative_point()
    return point.x, point.y


def write_credentials(instance_path: str, credentials: list[DemoCredentials]) -> Path:
    path = Path(instance_path) / CREDENTIALS_FILE
    lines = [
        "# Demo operation sign-in (generated; keep private)",
        "# role\tusername\tpassword\tAPI token",
    ]
    lines += [f"{c.role}\t{c.username}\t{c.password}\t{c.token}" for c in credentials]
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o600)
    return path
