"""The model and QuerySet: the one place that answers "which version", and text stored as typed."""

import hashlib
import pathlib
import re
import unicodedata
from datetime import timedelta

import pytest

from django.conf import settings
from django.utils import translation

from legal.models import DocumentVersion, PublicState, body_sha256, text_sha256
from legal.publishing import new_draft_from, withdraw_version
from legal.section_ledger import SectionText
from tests.conftest import START, make_version, site_time

pytestmark = pytest.mark.django_db


def test_the_orm_stores_lf_and_nfc_whatever_it_is_given(draft):
    draft.body_en = "# Terms\r\n\r\nOne.\rTwo.\r\n"
    draft.title_vi = unicodedata.normalize("NFD", "Điều khoản sử dụng")
    draft.save()
    stored = DocumentVersion.objects.get(pk=draft.pk)
    assert stored.body_en == "# Terms\n\nOne.\nTwo.\n"
    assert stored.title_vi == "Điều khoản sử dụng" and len(stored.title_vi) == 18
    assert stored.body_sha256_en == hashlib.sha256(b"# Terms\n\nOne.\nTwo.\n").hexdigest()


@pytest.mark.parametrize("field", ["body_vi", "body_en", "title_vi", "title_en", "body", "title"])
def test_saving_one_translated_field_rerenders_everything_derived(draft, field):
    """save(update_fields=[...]) of any body or title field never leaves old HTML or an old hash."""
    code = field.rsplit("_", 1)[1] if "_" in field else "vi"  # modeltranslation maps a bare name to the active language
    base = field.split("_")[0]
    new_body = "# Heading\r\n\r\nA brand new clause.\r\n"
    if base == "body":
        setattr(draft, f"body_{code}", new_body)
    else:
        setattr(draft, f"title_{code}", "New title")
        setattr(draft, f"body_{code}", new_body)  # changed in memory too: a title save re-renders the stored body
    with translation.override("vi"):
        draft.save(update_fields=[field])
    stored = DocumentVersion.objects.get(pk=draft.pk)
    if base == "body":
        assert getattr(stored, f"body_{code}") == "# Heading\n\nA brand new clause.\n"
        assert "A brand new clause." in getattr(stored, f"body_html_{code}")
        assert (
            getattr(stored, f"body_sha256_{code}") == hashlib.sha256(b"# Heading\n\nA brand new clause.\n").hexdigest()
        )
    else:
        assert getattr(stored, f"title_{code}") == "New title"
    # Whatever was saved, the stored HTML and hash are those of the stored Markdown.
    for language in ("vi", "en"):
        body = getattr(stored, f"body_{language}")
        assert getattr(stored, f"body_sha256_{language}") == hashlib.sha256(body.encode()).hexdigest()


def test_previous_and_next_skip_withdrawn_versions(terms, clock):
    v2 = make_version(terms.document, effective_at=site_time(2026, 12, 1))
    v3 = make_version(terms.document, effective_at=site_time(2026, 12, 2))
    withdraw_version(v3, reason="Mistake.")
    v4 = make_version(terms.document, effective_at=site_time(2026, 12, 3))
    versions = {v.number: DocumentVersion.objects.get(pk=v.pk) for v in (terms, v2, v3, v4)}
    pairs = {n: (v.previous() and v.previous().number, v.next() and v.next().number) for n, v in versions.items()}
    assert pairs == {1: (None, 2), 2: (1, 4), 3: (2, 4), 4: (2, None)}
    annotated = {v.number: (v.previous_number, v.next_number) for v in DocumentVersion.objects.with_neighbours()}
    assert annotated == pairs
    draft = new_draft_from(v4)
    assert (draft.previous().number, draft.next()) == (4, None)


def test_public_state_at_each_instant(terms, clock):
    v2 = make_version(terms.document, effective_at=site_time(2026, 12, 1))
    at = {
        "before": site_time(2026, 11, 30, 23, 59, 59),
        "at": site_time(2026, 12, 1),
    }
    assert (terms.public_state(at["before"]), v2.public_state(at["before"])) == ("in_effect", "scheduled")
    assert (terms.public_state(at["at"]), v2.public_state(at["at"])) == ("superseded", "in_effect")
    assert new_draft_from(v2).public_state() == PublicState.DRAFT
    for instant in at.values():
        states = {v.number: v.state for v in DocumentVersion.objects.listed().with_public_state(instant)}
        assert states == {1: terms.public_state(instant), 2: v2.public_state(instant)}


def test_day_stretches_across_a_day(terms, clock):
    make_version(terms.document, effective_at=site_time(2026, 11, 28, 8, 0))
    make_version(terms.document, effective_at=site_time(2026, 11, 28, 20, 30))
    stretches = DocumentVersion.objects.day_stretches(site_time(2026, 11, 28).date())
    assert [(s.version.number, s.start, s.end) for s in stretches] == [
        (1, None, site_time(2026, 11, 28, 8, 0)),
        (2, site_time(2026, 11, 28, 8, 0), site_time(2026, 11, 28, 20, 30)),
        (3, site_time(2026, 11, 28, 20, 30), None),
    ]
    assert DocumentVersion.objects.day_stretches(site_time(2026, 11, 23).date()) == []
    assert START - timedelta(hours=12) == site_time(2026, 11, 24)


# Nothing but the models builds a status or effective-date filter -----------------------------------------------

ROOT = pathlib.Path(settings.BASE_DIR)
# The models define the vocabulary; the publishing service changes state; the triggers and
# migrations are the database's own copy of the rules; verify_versions audits the time rules
# over the raw columns, independently of the code that enforces them.
OWNERS = {"legal/models/documents.py", "legal/publishing.py", "legal/db_triggers.py", "legal/verification.py"}
PYTHON_RULES = [
    (re.compile(r"effective_at__(?:lt|lte|gt|gte|range|date|year)\b"), "an effective-date lookup"),
    (
        re.compile(
            r"\bstatus(?:__in)?\s*=\s*(?:DocumentVersion\.)?Status\.|\bstatus(?:__in)?\s*=\s*[\"'](?:draft|published|withdrawn)[\"']"
        ),
        "a status filter",
    ),
    (re.compile(r"DocumentVersion\.Status\.(?:DRAFT|PUBLISHED|WITHDRAWN)"), "a status comparison"),
    (re.compile(r"\.effective_at\s*[<>]=?|[<>]=?\s*[\w.]*\.effective_at\b"), "an effective-date comparison"),
]
TEMPLATE_RULES = [
    (re.compile(r"\.status\s*[=!]=\s*[\"'](?:draft|published|withdrawn)[\"']"), "a status comparison"),
    (re.compile(r"effective_at\s*[<>]"), "an effective-date comparison"),
]


def offences(paths, rules, root=ROOT):
    found = []
    for path in paths:
        text = path.read_text()
        for pattern, what in rules:
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{path.relative_to(root)}:{line}: {what}")
    return found


def test_no_module_but_the_models_builds_its_own_status_or_effective_date_filter():
    python = [p for p in (ROOT / "legal").rglob("*.py") if "migrations" not in p.parts]
    python = [p for p in python if str(p.relative_to(ROOT)) not in OWNERS]
    templates = list((ROOT / "templates").rglob("*.html")) + list((ROOT / "templates").rglob("*.txt"))
    assert offences(python, PYTHON_RULES) + offences(templates, TEMPLATE_RULES) == []


def test_the_filter_check_finds_what_it_looks_for(tmp_path):
    """The check above is not vacuous: each rule catches a hand-written filter."""
    (tmp_path / "view.py").write_text(
        "DocumentVersion.objects.filter(effective_at__lte=now)\n"
        "qs.filter(status=DocumentVersion.Status.PUBLISHED)\n"
        'qs.exclude(status="withdrawn")\n'
        "if version.effective_at > now: pass\n"
    )
    (tmp_path / "page.html").write_text('{% if item.status == "published" %}{% if v.effective_at > now %}')
    found = offences([tmp_path / "view.py"], PYTHON_RULES, tmp_path) + offences(
        [tmp_path / "page.html"], TEMPLATE_RULES, tmp_path
    )
    assert found == [
        "view.py:1: an effective-date lookup",
        "view.py:2: a status filter",
        "view.py:3: a status filter",
        "view.py:2: a status comparison",
        "view.py:4: an effective-date comparison",
        "page.html:1: a status comparison",
        "page.html:1: an effective-date comparison",
    ]


def test_every_text_hash_is_the_sha256_of_the_utf8_bytes():
    """Bodies, ledger sections and review fingerprints all hash through text_sha256; an empty body stores ''."""
    expected = "4003511ef3af8ca9149630bfdd8b066cf60bb434a8f7bc3914af9e728d9405c4"  # sha256sum of the UTF-8
    assert text_sha256("Điều 1\nNội dung") == expected
    assert body_sha256("Điều 1\nNội dung") == expected
    assert body_sha256("") == ""
    # A section hashes its heading and blocks joined by newlines, even when empty.
    assert SectionText("dieu-1", 2, "Điều 1", ("Điều 1", "Nội dung")).sha256 == expected
    assert SectionText("", 1, "", ("",)).sha256 == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
