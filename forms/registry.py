"""Published forms in the store: publish a version, find the one a submission names.

Published versions are immutable, so a loaded FormDefinition (with its compiled validation
plan) is cached per process by the version's primary key and definition hash; app servers
stay stateless because the cache can only ever hold what the database says.
"""

import hashlib
import json
from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from forms.core import check_core_fields
from forms.definition import FormDefinition
from forms.errors import FormError
from forms.xlsform import load_xlsform
from geodata.models import Form, FormVersion

_DEFINITIONS: dict[tuple[int, str], FormDefinition] = {}


@dataclass(frozen=True)
class PublishedForm:
    record: FormVersion
    definition: FormDefinition
    created: bool  # False when this exact version was already published


def publish_form(
    session: Session, content: bytes, filename: str | None = None, published_by: int | None = None
) -> PublishedForm:
    """Publish an XLSForm version. Raises FormError listing every problem found.

    Publishing the same version again with identical content is a no-op; with different
    content it is refused (a version, once out, must mean one form forever).
    """
    definition = load_xlsform(content, filename=filename)
    problems = check_core_fields(definition)
    if problems:
        raise FormError(problems)
    form = session.execute(
        select(Form).where(Form.form_id == definition.form_id)
    ).scalar_one_or_none()
    if form is None:
        form = Form(form_id=definition.form_id, title=definition.title)
        session.add(form)
        session.flush()
    etag = definition_etag(definition.definition)
    existing = session.execute(
        select(FormVersion).where(
            FormVersion.form_pk == form.id, FormVersion.version == definition.version
        )
    ).scalar_one_or_none()
    if existing is not None:
        if existing.definition_etag == etag:
            return PublishedForm(existing, loaded_definition(existing), created=False)
        raise FormError(
            f"Version {definition.version} of form {definition.form_id} is already published "
            "with different content; give the changed form a new version in its settings sheet."
        )
    form.title = definition.title
    record = FormVersion(
        form=form,
        version=definition.version,
        title=definition.title,
        source_filename=filename,
        xlsform=content,
        definition=definition.definition,
        xform=definition.xform,
        definition_etag=etag,
        xform_md5=hashlib.md5(definition.xform.encode()).hexdigest(),  # noqa: S324 - OpenRosa hash
        published_by=published_by,
    )
    session.add(record)
    session.flush()
    _DEFINITIONS[(record.id, record.definition_etag)] = definition
    return PublishedForm(record, definition, created=True)


def definition_etag(definition: dict) -> str:
    canonical = json.dumps(definition, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def loaded_definition(record: FormVersion) -> FormDefinition:
    """The FormDefinition of a stored version (built once per process)."""
    key = (record.id, record.definition_etag)
    definition = _DEFINITIONS.get(key)
    if definition is None:
        definition = FormDefinition.from_dict(record.definition, xform=record.xform)
        _DEFINITIONS[key] = definition
    return definition


_VERSION_KEY = (
    select(FormVersion.id, FormVersion.definition_etag)
    .join(Form)
    .where(Form.form_id == bindparam("form_id"), FormVersion.version == bindparam("version"))
)


def find_definition(
    session: Session, form_id: str, version: str
) -> tuple[int, FormDefinition] | None:
    """The primary key and loaded definition of a published version, or None.

    One small query; the stored definition (a large JSON document) is read only the first
    time this process meets the version. This is on every submission's path.
    """
    row = (
        session.connection()
        .execute(_VERSION_KEY, {"form_id": form_id, "version": str(version)})
        .first()
    )
    if row is None:
        return None
    definition = _DEFINITIONS.get((row.id, row.definition_etag))
    if definition is None:
        definition = loaded_definition(session.get(FormVersion, row.id))
    return row.id, definition


def find_version(session: Session, form_id: str, version: str | None = None) -> FormVersion | None:
    """A published version (the latest when `version` is None), or None."""
    query = select(FormVersion).join(Form).where(Form.form_id == form_id)
    if version is not None:
        return session.execute(
            query.where(FormVersion.version == str(version))
        ).scalar_one_or_none()
    return session.execute(query.order_by(FormVersion.id.desc()).limit(1)).scalar_one_or_none()


def list_forms(session: Session) -> list[Form]:
    return list(session.execute(select(Form).order_by(Form.form_id)).scalars())
