"""Importing (legal/importing.py): `manage.py import_version` and `load_terms` with good and bad input."""

import hashlib
from io import StringIO

import pytest

from django.core.management import CommandError, call_command

from legal.importing import BUNDLED_DIR
from legal.models import Document, DocumentVersion
from tests.conftest import run_django, site_time

pytestmark = pytest.mark.django_db


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def run(*args):
    out = StringIO()
    call_command("import_version", *args, stdout=out)
    return out.getvalue()


def test_load_terms_loads_version_1_once():
    call_command("load_terms", stdout=StringIO())
    call_command("load_terms", stdout=StringIO())
    version = DocumentVersion.objects.get()
    assert (version.number, version.status) == (1, "published")
    assert version.effective_at == site_time(2026, 11, 24, 0, 0)
    assert version.document.slug == "terms-of-service"
    assert (version.title_vi, version.title_en) == ("Điều khoản sử dụng", "Terms of Service")
    assert (version.document.title_vi, version.document.title_en) == ("Điều khoản sử dụng", "Terms of Service")


def test_bundled_text_is_stored_without_front_matter_and_hashed(terms):
    source = (BUNDLED_DIR / "terms-of-service.vi.md").read_text(encoding="utf-8")
    assert source.startswith("---\ntitle: Terms of Service\n---\n")
    assert terms.body_vi == source[len("---\ntitle: Terms of Service\n---\n") :]
    assert terms.body_sha256_vi == hashlib.sha256(terms.body_vi.encode()).hexdigest()


def test_bundled_vietnamese_is_the_seed_byte_for_byte():
    from django.conf import settings

    seed = settings.BASE_DIR.parent / "shared" / "seed" / "terms-of-service.vi.md"
    if not seed.exists():
        pytest.skip("the shared seed is not beside this checkout")
    assert (BUNDLED_DIR / "terms-of-service.vi.md").read_bytes() == seed.read_bytes()


def test_import_creates_document_and_draft(tmp_path):
    vi = write(
        tmp_path, "privacy.vi.md", "---\ntitle: Quyền riêng tư\nsummary: Bản đầu\n---\n## Phạm vi\n\nNội dung.\n"
    )
    en = write(tmp_path, "privacy.en.md", "---\ntitle: Privacy\n---\n## Scope\n\nText.\n")
    output = run(vi, en, "--document", "privacy")
    version = DocumentVersion.objects.get(document__slug="privacy")
    assert "draft" in output
    assert (version.status, version.number) == ("draft", None)
    assert (version.title_vi, version.title_en, version.summary_vi) == ("Quyền riêng tư", "Privacy", "Bản đầu")
    assert version.sections_en == [[2, "pham-vi", "Scope"]]


def test_import_publishes_with_effective_date(tmp_path):
    vi = write(tmp_path, "p.vi.md", "# Quyền riêng tư\n\n## Phạm vi\n")
    en = write(tmp_path, "p.en.md", "# Privacy\n\n## Scope\n")
    output = run(
        vi, en, "--document", "privacy", "--publish", "--effective", "2026-12-01T00:00+07:00", "--confirm-translations"
    )
    version = DocumentVersion.objects.get()
    assert output.strip() == "Published privacy version 1."
    assert version.effective_at == site_time(2026, 12, 1, 0, 0)


def test_second_version_through_import_follows_the_publishing_rules(terms, tmp_path):
    vi = write(tmp_path, "t.vi.md", terms.body_vi)
    en = write(tmp_path, "t.en.md", terms.body_en)
    with pytest.raises(CommandError, match="summary of changes"):
        run(vi, en, "--document", "terms-of-service", "--publish", "--effective", "2026-12-01T00:00+07:00")
    assert DocumentVersion.objects.count() == 1
    run(
        vi,
        en,
        "--document",
        "terms-of-service",
        "--publish",
        "--editorial",
        "--summary",
        "Sửa lỗi",
        "--effective",
        "2026-12-01T00:00+07:00",
    )
    assert DocumentVersion.objects.get(number=2).summary_en == "Sửa lỗi"


@pytest.mark.parametrize(
    ("files", "extra", "message"),
    [
        ({"t.fr.md": "# T\n"}, [], "unknown language 'fr'"),
        ({"t.md": "# T\n"}, [], "must end in .<language>.md"),
        ({"t.vi.md": "---\ntitle: [x\n---\n# T\n"}, [], "invalid YAML front matter"),
        ({"t.vi.md": "---\n- a\n---\n# T\n"}, [], "front matter must be a mapping"),
        ({"t.vi.md": "---\ncolour: red\n---\n# T\n"}, [], "unknown front matter key(s): colour"),
        ({"t.vi.md": "---\ntitle: T\n---\n  \n"}, [], "the text is empty"),
        ({"t.vi.md": "text only\n"}, [], "no title"),
        ({"t.vi.md": "# T\n"}, ["--effective", "tomorrow"], "not an ISO 8601 date"),
        ({"t.vi.md": "---\neffective: soon\n---\n# T\n"}, [], "not an ISO 8601 date"),
        ({"t.vi.md": "# T\n"}, ["--publish"], "cannot publish"),
    ],
)
def test_bad_input_is_a_one_line_error_and_writes_nothing(tmp_path, files, extra, message):
    paths = [write(tmp_path, name, text) for name, text in files.items()]
    with pytest.raises(CommandError) as caught:
        run(*paths, "--document", "new-doc", *extra)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)
    assert not Document.objects.exists() and not DocumentVersion.objects.exists()


def test_missing_file_and_bad_slug(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        run(str(tmp_path / "nope.vi.md"), "--document", "x")
    path = write(tmp_path, "t.vi.md", "# T\n")
    with pytest.raises(CommandError, match="not a valid document slug"):
        run(path, "--document", "Bad Slug!")


def test_non_utf8_file(tmp_path):
    path = tmp_path / "t.vi.md"
    path.write_bytes("# Điều\n".encode("utf-16"))
    with pytest.raises(CommandError, match="not UTF-8"):
        run(str(path), "--document", "x")


def test_command_exits_non_zero_from_the_shell(tmp_path):
    result = run_django(
        ["manage.py", "import_version", str(tmp_path / "x.vi.md"), "--document", "x"],
        DJANGO_SETTINGS_MODULE="sigma_terms.settings",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [f"CommandError: {tmp_path / 'x.vi.md'}: no such file"]


@pytest.mark.parametrize(
    ("files", "extra", "message"),
    [
        ({"t.vi.md": "---\neffective: 2026-02-30\n---\n# T\n"}, [], "day is out of range for month"),
        ({"t.vi.md": "# T\n"}, ["--effective", "9999-12-31T23:00-05:00"], "is out of range"),
        ({"t.vi.md": "# T\n"}, ["--effective", "0001-01-01T00:00+07:00"], "is out of range"),
        ({"t.vi.md": "# T\n"}, ["--effective", "0000-01-01T00:00"], "not an ISO 8601 date"),
        ({"t.vi.md": "---\neffective: 0001-01-01\n---\n# T\n"}, [], "is out of range"),
        ({"t.vi.md": "# T\n\nNUL \x00 here.\n"}, [], "t.vi.md: contains a NUL character"),
        ({"t.vi.md": "# T\n"}, ["--summary", "a\x00b"], "--summary contains a NUL character"),
        ({"t.vi.md": "# T\n\n" + "[" * 100_000}, [], "t.vi.md: line 3 is 100,000 characters long"),
        ({"t.vi.md": "# T\n\n" + "".join(f"## H {i}\n\n" for i in range(10_000))}, [], "10,001 headings"),
        ({"t.vi.md": "# T\n\n" + ">" * 500 + " deep\n"}, [], "nested 500 levels deep"),
    ],
    ids=["feb-30", "year-10000-utc", "year-0-utc", "year-0", "yaml-year-1", "nul", "nul-summary", "brackets",
         "headings", "nesting"],
)  # fmt: skip
def test_hostile_input_is_a_one_line_error_and_writes_nothing(tmp_path, files, extra, message):
    paths = [write(tmp_path, name, text) for name, text in files.items()]
    with pytest.raises(CommandError) as caught:
        run(*paths, "--document", "new-doc", *extra)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)
    assert not Document.objects.exists() and not DocumentVersion.objects.exists()


@pytest.mark.parametrize(
    ("text", "extra", "message"),
    [
        ("---\neffective: 2026-02-30\n---\n# T\n", [], "invalid YAML front matter: day is out of range for month"),
        ("# T\n", ["--effective", "9999-12-31T23:00-05:00"], "--effective 9999-12-31T23:00-05:00 is out of range"),
        ("# T\n\nNUL \x00 here.\n", [], "t.vi.md: contains a NUL character"),
        ("# T\n\n" + "[\n" * 50_000, [], "too many unclosed [ or ( brackets"),
    ],
    ids=["feb-30", "year-10000", "nul", "brackets"],
)
def test_real_command_prints_one_line_and_exits_non_zero(tmp_path, text, extra, message):
    """The real process, on its own database: one line on stderr, exit 1, no traceback."""
    path = write(tmp_path, "t.vi.md", text)
    result = run_django(
        ["manage.py", "import_version", path, "--document", "x", *extra],
        DJANGO_SETTINGS_MODULE="sigma_terms.settings",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("CommandError: ") and message in lines[0], result.stderr
