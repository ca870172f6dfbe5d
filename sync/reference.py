"""Reference data for offline work: sites changed since a cursor, forms, admin areas, round.

The cursor is a server sequence (each site change takes the next `reference` value under a
row lock, see Store.next_seq_block), never a timestamp: device clocks drift, and a change
committed late with an early timestamp would be skipped. Removed sites come back as
tombstones (`deleted: true`) so tablets can drop them.
"""

import hashlib
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from forms.registry import list_forms
from geodata.models import AdminArea, Site
from geodata.store import SITE_SEQUENCE, open_store
from sync.canonical import canonical_json

DEFAULT_LIMIT = 1000
MAX_LIMIT = 5000


@dataclass
class ReferencePage:
    sites: list[dict]
    cursor: int
    has_more: bool


def sites_since(session: Session, since: int, limit: int = DEFAULT_LIMIT) -> ReferencePage:
    rows = (
        session.execute(
            select(Site).where(Site.change_seq > since).order_by(Site.change_seq).limit(limit + 1)
        )
        .scalars()
        .all()
    )
    has_more = len(rows) > limit
    rows = rows[:limit]
    if has_more:
        cursor = rows[-1].change_seq
    else:
        cursor = max(
            since,
            open_store(session).current_seq(SITE_SEQUENCE),
            rows[-1].change_seq if rows else 0,
        )
    return ReferencePage([site_json(s) for s in rows], cursor, has_more)


def site_json(site: Site) -> dict:
    if site.deleted_at is not None:
        return {"site_id": site.site_id, "deleted": True, "change_seq": site.change_seq}
    return {
        "site_id": site.site_id,
        "name": site.name,
        "site_type": site.site_type,
        "status": site.status,
        "lon": site.lon,
        "lat": site.lat,
        "admin1_pcode": site.admin1_pcode,
        "admin2_pcode": site.admin2_pcode,
        "declared_admin1_pcode": site.declared_admin1_pcode,
        "declared_admin2_pcode": site.declared_admin2_pcode,
        "last_round": site.last_round,
        "change_seq": site.change_seq,
        "deleted": False,
    }


def forms_summary(session: Session) -> list[dict]:
    return [
        {
            "form_id": form.form_id,
            "title": form.title,
            "latest_version": form.versions[-1].version if form.versions else None,
            "versions": [
                {
                    "version": v.version,
                    "title": v.title,
                    "etag": v.definition_etag,
                    "published_at": v.published_at.isoformat(),
                }
                for v in form.versions
            ],
        }
        for form in list_forms(session)
    ]


def admin_areas_table(session: Session) -> tuple[list[dict], str]:
    """Every admin area without geometry, and an ETag that changes when any level is
    re-imported."""
    rows = session.execute(
        select(AdminArea.pcode, AdminArea.name, AdminArea.level, AdminArea.parent_pcode).order_by(
            AdminArea.level, AdminArea.pcode
        )
    ).all()
    areas = [
        {"pcode": p, "name": n, "level": lv, "parent_pcode": parent} for p, n, lv, parent in rows
    ]
    key = canonical_json(open_store(session).boundaries_key())
    return areas, hashlib.sha256(key).hexdigest()[:32]
