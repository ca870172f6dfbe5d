"""Form definitions (XLSForm) and submission validation, free of any web framework or database.

definition = load_xlsform("site_assessment.xlsx")      # FormDefinition, or FormError
problems = check_core_fields(definition)              # [] when publishable
result = validate(definition, answers, known_pcodes)  # ValidationResult(ok, data, errors)
"""

from pathlib import Path

from .core import CORE_FIELD_NAMES, CORE_FIELDS, check_core_fields
from .definition import FormDefinition
from .errors import FormError
from .validation import ValidationResult, schema_for, validate
from .xlsform import load_xlsform, pcode_level

BUNDLED_SITE_ASSESSMENT = Path(__file__).parent / "bundled" / "site_assessment.xlsx"


def load_bundled_site_assessment() -> FormDefinition:
    """The DTM site assessment (MSLA) form shipped with the platform."""
    return load_xlsform(BUNDLED_SITE_ASSESSMENT)


__all__ = [
    "BUNDLED_SITE_ASSESSMENT",
    "CORE_FIELDS",
    "CORE_FIELD_NAMES",
    "FormDefinition",
    "FormError",
    "ValidationResult",
    "check_core_fields",
    "load_bundled_site_assessment",
    "load_xlsform",
    "pcode_level",
    "schema_for",
    "validate",
]
