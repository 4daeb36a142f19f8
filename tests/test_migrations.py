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


# App code a migration may still run, each with the reason a frozen copy would be wrong.
RUNS_APP_CODE = {
    # Starts the translation ledger in step by hashing each version's sections with the
    # reader that later compares them (translation_sync): a copy frozen here would make every
    # pre-ledger version read as out of step as soon as that reader changed.
    "0010_translation_ledger.py": {"legal.section_ledger"},
}


def _app_module(name):
    return name.split(".")[0] == "legal" and not name.startswith("legal.migrations.")


def _dotted(node):
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    return ".".join([node.id, *reversed(parts)]) if isinstance(node, ast.Name) else None


def test_no_migration_imports_app_code_that_could_change_what_it_did():
    """Migrations carry their own SQL and logic; app code is named only as a field's default.

    A default (legal.clock.now, legal.webhooks.new_secret) is the callable the model names, so
    `makemigrations --check` keeps it in step; anything else a migration runs is frozen in it.
    """
    named = {}
    for path in sorted(MIGRATIONS.glob("0*.py")):
        tree = ast.parse(path.read_text())
        modules = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.level == 0}
        modules |= {  # importlib.import_module("legal.migrations.0004_...")
            node.args[0].value
            for node in ast.walk(tree)
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "import_module"
        }
        defaults = {
            id(inner)
            for k in ast.walk(tree)
            if isinstance(k, ast.keyword) and k.arg == "default"
            for inner in ast.walk(k.value)
        }
        inner = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
        for node in ast.walk(tree):  # `import legal.x` is fine when legal.x.y is only ever a default
            if isinstance(node, ast.Attribute) and id(node) not in defaults | inner:
                dotted = _dotted(node)
                if dotted and _app_module(dotted):
                    modules.add(dotted.rsplit(".", 1)[0])
        app_code = {m for m in modules if _app_module(m)} - RUNS_APP_CODE.get(path.name, set())
        if app_code:
            named[path.name] = sorted(app_code)
    assert named == {}
