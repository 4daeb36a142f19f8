"""The migrations match the models: no change is left without its migration."""

import ast
import io
from pathlib import Path

import pytest

from django.core.management import call_command

MIGRATIONS = Path(__file__).resolve().parent.parent / "legal" / "migrations"


@pytest.mark.django_db
def test_no_model_change_is_missing_a_migration():
    out = io.StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    assert out.getvalue().strip() == "No changes detected"


def test_no_migration_imports_app_code_that_could_change_what_it_did():
    """Migrations carry their own SQL; the only app code they name is a field's default (legal.clock.now)."""
    named = {}
    for path in sorted(MIGRATIONS.glob("0*.py")):
        tree = ast.parse(path.read_text())
        modules = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.level == 0}
        modules |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        modules |= {  # importlib.import_module("legal.migrations.0004_...")
            node.args[0].value
            for node in ast.walk(tree)
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "import_module"
        }
        app_code = {m for m in modules if m.split(".")[0] == "legal" and not m.startswith("legal.migrations.")}
        if app_code - {"legal.clock"}:
            named[path.name] = sorted(app_code)
    assert named == {}
