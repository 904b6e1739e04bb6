"""The README's configuration reference is the settings module, rendered; it cannot drift."""

from __future__ import annotations

import re
from pathlib import Path

from ciam_oidc.settings import ENV_PREFIX, Settings

README = Path(__file__).resolve().parents[2] / "README.md"
NOT_SETTINGS = {"CIAM_CONFIG_FILE", "CIAM_TEST_POSTGRES_URL"}


def reference_rows() -> dict[str, str]:
    rows = {}
    for name, field in Settings.model_fields.items():
        default = field.default_factory() if field.default_factory else field.default  # type: ignore[call-arg]
        shown = ",".join(default) if isinstance(default, list) else default
        variable = f"{ENV_PREFIX}{name.upper()}"
        rows[variable] = f"| `{variable}` | `{shown}` | {field.description} |"
    return rows


def test_every_setting_is_documented_with_its_default_and_meaning() -> None:
    readme = README.read_text().splitlines()
    for variable, row in reference_rows().items():
        assert row in readme, f"README's row for {variable} differs from settings.py:\n{row}"


def test_the_readme_names_no_setting_that_does_not_exist() -> None:
    named = set(re.findall(r"\bCIAM_[A-Z_]+\b", README.read_text()))
    assert named - set(reference_rows()) - NOT_SETTINGS == set()
