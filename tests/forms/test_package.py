"""The forms package stays framework-free."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_importing_forms_pulls_in_no_web_or_database_framework():
    code = (
        "import sys, forms, forms.bundled.example; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('flask', 'sqlalchemy', 'flask_sqlalchemy', 'psycopg', 'geoalchemy2')))"
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"
