"""Fixtures for forms tests: the bundled form, an example submission, small XLSForms."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from openpyxl import Workbook

from forms import load_bundled_site_assessment, load_xlsform
from forms.bundled.example import example_site_assessment


@pytest.fixture(scope="session")
def bundled():
    return load_bundled_site_assessment()


@pytest.fixture
def item():
    """A fresh valid submission for the bundled form, safe to modify."""
    return copy.deepcopy(example_site_assessment())


def write_xlsform(
    path: Path,
    survey: list[dict],
    choices: list[dict] | None = None,
    settings: dict | None = None,
) -> Path:
    """Write a minimal XLSForm; each row is a dict of column -> cell."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    sheets = {"survey": survey, "choices": choices or []}
    sheets["settings"] = [settings if settings is not None else {"form_id": "t", "version": "1"}]
    for title, rows in sheets.items():
        if not rows:
            continue
        columns = list(dict.fromkeys(key for row in rows for key in row))
        sheet = workbook.create_sheet(title)
        sheet.append(columns)
        for row in rows:
            sheet.append([row.get(c) for c in columns])
    workbook.save(path)
    return path


@pytest.fixture
def make_form(tmp_path):
    """Build and load a small XLSForm: make_form(survey, choices=None, settings=None)."""
    counter = iter(range(1000))

    def make(survey, choices=None, settings=None):
        path = write_xlsform(tmp_path / f"form{next(counter)}.xlsx", survey, choices, settings)
        return load_xlsform(path)

    return make


@pytest.fixture
def make_file(tmp_path):
    """Write a small XLSForm and return its path (for tests that expect loading to fail)."""
    counter = iter(range(1000))

    def make(survey, choices=None, settings=None):
        return write_xlsform(tmp_path / f"bad{next(counter)}.xlsx", survey, choices, settings)

    return make
