"""Publishing rules, numbering, the legal-record guards and concurrent publishes."""

import threading
from datetime import timedelta

import pytest

from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import User
from django.db import connection, connections
from django.utils import translation

from legal.models import Document, DocumentVersion, ProtectedVersionError
from legal.publishing import PublishingError, new_draft_from, plan_publish, publish_version, withdraw_version
from tests.conftest import START, make_version, site_time

pytestmark = pytest.mark.django_db


def draft_of(terms, **changes):
    draft = new_draft_from(terms)
    draft.effective_at = START + timedelta(days=31)
    for code in ("vi", "en"):
        setattr(draft, f"summary_{code}", "Tóm tắt" if code == "vi" else "Summary")
    for name, value in changes.items():
        setattr(draft, name, value)
    draft.save()
    return draft


def problems_of(version):
    with pytest.raises(PublishingError) as caught:
        publish_version(version)
    return caught.value.problems


def test_publish_assigns_next_number_and_records(terms):
    user = User.objects.create_user("publisher")
    published = publish_version(draft_of(terms), user=user)
    assert (published.number, published.status, published.published_by) == (2, "published", user)
    assert published.published_at == START
    entry = LogEntry.objects.get(object_id=str(published.pk))
    assert entry.user == user and "Published as version 2" in entry.get_change_message()


def test_complete_draft_has_no_problems(terms):
    plan = plan_publish(draft_of(terms))
    assert plan.problems == [] and plan.number == 2 and plan.supersedes == terms


def test_missing_title_body_and_summary_are_reported_per_language(terms):
    draft = draft_of(terms, title_en="", body_en="", summary_vi="")
    from django.utils import translation

    with translation.override("en"):
        assert problems_of(draft) == [
            "The summary of changes in Vietnamese is missing.",
            "The title in English is missing.",
            "The text in English is missing.",
        ]


def test_section_anchors_must_match_across_languages(terms):
    body_en = terms.body_en + "\n## 4. Extra section\n\nText.\n"
    body_vi = terms.body_vi.replace(
        "## 2. Hệ thống Sigma.video của Khách hàng", "### 2. Hệ thống Sigma.video của Khách hàng"
    )
    from django.utils import translation

    with translation.override("en"):
        problems = problems_of(draft_of(terms, body_en=body_en, body_vi=body_vi))
    assert "English has an extra section “4. Extra section” that Vietnamese does not have." in problems
    assert any("is a level 2 heading in English but level 3 in Vietnamese" in p for p in problems)


def test_missing_section_in_translation_is_named(terms):
    body_en = terms.body_en.split("## 3. Privacy Protection")[0]
    from django.utils import translation

    with translation.override("en"):
        problems = problems_of(draft_of(terms, body_en=body_en))
    assert problems == ["Section “3. Bảo vệ quyền riêng tư” (#3-bao-ve-quyen-rieng-tu) is missing in English."]


def test_effective_date_in_the_past_is_refused(terms):
    from django.utils import translation

    with translation.override("en"):
        problems = problems_of(draft_of(terms, effective_at=START - timedelta(minutes=1)))
    assert problems == ["The effective date is in the past."]


def test_material_change_needs_the_notice_period(terms):
    from django.utils import translation

    draft = draft_of(terms, effective_at=START + timedelta(days=29), change_kind="material")
    with translation.override("en"):
        assert "at least 30 days after it is published" in problems_of(draft)[0]
    draft.effective_at = START + timedelta(days=30)
    draft.save()
    assert publish_version(draft).number == 2


def test_editorial_change_may_take_effect_after_the_lead_time(terms, settings):
    """An editorial change takes effect at the earliest PUBLISH_LEAD_SECONDS after it is published."""
    settings.PUBLISH_LEAD_SECONDS = 300
    with translation.override("en"):
        too_soon = problems_of(draft_of(terms, effective_at=START + timedelta(seconds=299), change_kind="editorial"))
    assert too_soon == [
        "A version takes effect at the earliest 5 minutes after it is published, that is on or after "
        "24 November 2026, 12:05. Choose a later time."
    ]
    draft = draft_of(terms, effective_at=START + timedelta(seconds=300), change_kind="editorial")
    assert publish_version(draft).number == 2


def test_withdrawn_number_is_never_reused(terms, clock):
    scheduled = publish_version(draft_of(terms))
    withdraw_version(scheduled, reason="Published by mistake.")
    again = publish_version(draft_of(terms, effective_at=START + timedelta(days=40)))
    assert (scheduled.number, again.number) == (2, 3)
    assert DocumentVersion.objects.get(pk=scheduled.pk).status == "withdrawn"


def test_version_in_effect_cannot_be_withdrawn(terms, clock):
    scheduled = make_version(terms.document, effective_at=site_time(2026, 11, 25, 0, 0))
    clock.move_to(site_time(2026, 11, 25, 0, 0))
    with pytest.raises(PublishingError):
        withdraw_version(scheduled, reason="Published by mistake.")


def test_only_drafts_publish(terms):
    with pytest.raises(PublishingError):
        publish_version(terms)


def test_scheduled_version_becomes_current_at_its_instant(terms, clock):
    scheduled = make_version(terms.document, effective_at=site_time(2026, 11, 25, 0, 0))
    versions = terms.document.versions
    clock.move_to(site_time(2026, 11, 24, 23, 59, 59))
    assert versions.in_effect().first() == terms
    clock.move_to(site_time(2026, 11, 25, 0, 0))
    assert versions.in_effect().first() == scheduled


# The legal record --------------------------------------------------------------------


def test_published_version_cannot_be_saved_changed(terms):
    terms.body_vi = "defaced"
    with pytest.raises(ProtectedVersionError):
        terms.save()
    terms.refresh_from_db()
    with pytest.raises(ProtectedVersionError):
        terms.save(update_fields=["effective_at"])


def test_published_version_cannot_be_deleted(terms):
    with pytest.raises(ProtectedVersionError):
        terms.delete()
    with pytest.raises(ProtectedVersionError):
        DocumentVersion.objects.all().delete()
    assert DocumentVersion.objects.count() == 1


def test_queryset_update_and_bulk_update_refuse_published_rows(terms):
    with pytest.raises(ProtectedVersionError):
        DocumentVersion.objects.filter(pk=terms.pk).update(body_vi="defaced")
    with pytest.raises(ProtectedVersionError):
        DocumentVersion.objects.update(status="draft")
    terms.title_vi = "defaced"
    with pytest.raises(ProtectedVersionError):
        DocumentVersion.objects.bulk_update([terms], ["title_vi"])
    assert DocumentVersion.objects.get().title_vi == "Điều khoản sử dụng"


def test_withdrawn_version_is_frozen_too(terms):
    scheduled = publish_version(draft_of(terms))
    withdrawn = withdraw_version(scheduled, reason="Published by mistake.")
    withdrawn.status = "published"
    with pytest.raises(ProtectedVersionError):
        withdrawn.save(update_fields=["status"])


def test_drafts_stay_editable_and_deletable(terms):
    draft = draft_of(terms)
    DocumentVersion.objects.filter(pk=draft.pk).update(body_vi="## A\n")
    draft.refresh_from_db()
    draft.save()
    draft.delete()
    assert not DocumentVersion.objects.filter(pk=draft.pk).exists()


def test_document_with_versions_cannot_be_deleted(terms):
    with pytest.raises(ProtectedVersionError):
        terms.document.delete()
    assert Document.objects.count() == 1


# Concurrency ---------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="real row locks need PostgreSQL (DATABASE_URL)")
def test_concurrent_publishes_get_distinct_numbers_and_instants():
    from legal.importing import load_bundled_terms

    terms = load_bundled_terms()
    drafts = [draft_of(terms, effective_at=START + timedelta(days=31)) for i in range(6)]
    barrier = threading.Barrier(len(drafts))
    results, errors = [], []

    def publish(draft):
        try:
            barrier.wait()
            results.append(publish_version(draft).number)
        except PublishingError as exc:
            errors.append(exc.problems)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=publish, args=(draft,)) for draft in drafts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # One effective instant: exactly one publish wins; the others, serialised behind it by the
    # row lock, find a version already taking effect then and are refused.
    assert results == [2]
    assert len(errors) == 5
    numbers = list(DocumentVersion.objects.exclude(number=None).values_list("number", flat=True))
    assert sorted(numbers) == [1, 2]
