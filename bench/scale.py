"""The scale case of `make bench --scale`: a Terms document at the size limit and 10,000 versions.

`large_terms(language)` builds a Terms text of 200 sections from the bundled Terms' own
paragraphs, as long as the renderer allows (legal.rendering.LIMITS.body_chars, less a margin
for the clauses the later versions add). The issue asked for 200 KB; Vietnamese in UTF-8
takes about 1.29 bytes a character (the bundled Terms), so 200 KB would be about 155,000
characters, past the 150,000-character limit: the text is the largest allowed instead.

`fill(count, large=...)` gives the document `count` published versions:

- version 1 is the bundled Terms, loaded as `make run` loads it, a day before it takes effect;
- versions 2 to `count - large` carry the same text, each with its own summary, number and
  effective date. They are inserted in bulk under `db_triggers.publishing()`, as
  `restore_versions` inserts a backup: each row is what `publish_version` would store for
  that text (the rendering is the renderer's own, copied from version 1, whose text it is),
  published the lead time before it takes effect, in number order, their translation ledger
  started in step as `restore_versions` starts a backup's. `verify_record()` finds
  nothing to report on such a database (tests/test_scale.py);
- the last `large` versions carry `large_terms()`, each adding one clause to one section,
  and are published through `publish_version` itself, each at its own instant.

Run as a script: `python bench/scale.py COUNT LARGE` fills the database of DATABASE_URL
and prints the highest number.
"""

import copy
import datetime
import itertools
import re
import sys
from pathlib import Path

SECTIONS = 200
# Room left under the limit for the clauses of the large versions and the bench's publish.
MARGIN = 3_000
CLAUSE = {
    "vi": "Sửa đổi lần {n}: Khách hàng được thông báo trước khi áp dụng.",
    "en": "Amendment {n}: Customers are told before it applies.",
}


def _bundled(language):
    from legal.importing import BUNDLED_DIR
    from legal.rendering import split_front_matter

    text = (BUNDLED_DIR / f"terms-of-service.{language}.md").read_text(encoding="utf-8")
    return split_front_matter(text)[1]


def _paragraphs_and_titles(language):
    lines = _bundled(language).splitlines()
    # Bold marks are dropped: the inline-mark limit counts them, and 27 copies of the text would pass it.
    paragraphs = [line.replace("*", "") for line in lines if line.strip() and not line.startswith("#")]
    titles = [re.sub(r"^##\s+[0-9.]*\s*", "", line) for line in lines if line.startswith("## ")]
    return paragraphs, titles


def large_terms(language, *, sections=SECTIONS, clauses=0):
    """A Terms text of `sections` level-2 sections, within the renderer's limits.

    The same outline in every language (section n is "## n. <title>"), so every translation
    lines up with the authoritative text. `clauses` adds the amendments 1..clauses, each at
    the end of its own section.
    """
    from legal.rendering import LIMITS

    paragraphs, titles = _paragraphs_and_titles(language)
    heading_lines = [f"## {n}. {titles[(n - 1) % len(titles)]}" for n in range(1, sections + 1)]
    budget = (LIMITS.body_chars - MARGIN - sum(len(h) + 2 for h in heading_lines)) // sections
    source = itertools.cycle(paragraphs)
    out = [f"# {'Điều khoản sử dụng' if language == 'vi' else 'Terms of Service'}", ""]
    for n, heading in enumerate(heading_lines, 1):
        out += [heading, ""]
        used = 0
        while used < budget - 40:
            paragraph = next(source)
            if used + len(paragraph) + 2 > budget:  # the section ends with the paragraph's first words
                paragraph = paragraph[: budget - used - 2].rsplit(" ", 1)[0].rstrip(",;:") + "."
            out += [paragraph, ""]  # one block each, list items too
            used += len(paragraph) + 2
        for k in range(1, clauses + 1):
            if (k * 37) % sections == n - 1:
                out += [CLAUSE[language].format(n=k), ""]
    return "\n".join(out)


def fill(count, *, large):
    """Versions 1..count of the bundled Terms' document, the last `large` at the size limit."""
    import time_machine

    from django.conf import settings
    from django.db.models.base import ModelState
    from django.utils import timezone

    from legal import db_triggers, transparency
    from legal.importing import BUNDLED_EFFECTIVE, load_bundled_terms, parse_datetime
    from legal.models import DocumentVersion
    from legal.publishing import publish_version
    from legal.translation_sync import confirm_sections, inherit_ledger, start_in_step

    if not 0 <= large < count or large * len(CLAUSE["vi"].format(n=count)) + 100 > MARGIN:
        raise ValueError(f"large must be below {count} and its clauses must fit in {MARGIN} characters")
    lead = datetime.timedelta(seconds=settings.PUBLISH_LEAD_SECONDS)
    start = parse_datetime(BUNDLED_EFFECTIVE)
    step = (timezone.now() - datetime.timedelta(minutes=5) - start) / count
    if step <= datetime.timedelta(0):
        raise ValueError("the bundled Terms take effect too late for versions after them before now")
    # Version 1 is published before every later version is (a day before it takes effect).
    with time_machine.travel(start - lead - datetime.timedelta(days=1), tick=False):
        first = load_bundled_terms()

    def at(number):
        return start + step * (number - 1)

    rows = []
    for number in range(2, count - large + 1):
        row = copy.copy(first)
        row._state = ModelState()
        row.pk = None
        row.number, row.effective_at = number, at(number)
        row.published_at = row.notice_from = at(number) - lead
        row.change_kind = DocumentVersion.ChangeKind.EDITORIAL
        row.summary_vi, row.summary_en = f"Thay đổi số {number}", f"Change number {number}"
        rows.append(row)
    with db_triggers.publishing():
        DocumentVersion.objects.bulk_create(rows, batch_size=500)
        # Their translation ledger starts in step, as restore_versions starts a backup's.
        start_in_step(rows)
    transparency.backfill()  # and their log entries are appended, as restore_versions does
    previous = DocumentVersion.objects.get(document=first.document, number=count - large)
    for k in range(1, large + 1):
        number = count - large + k
        with time_machine.travel(at(number) - lead, tick=False):
            draft = DocumentVersion(document=first.document, effective_at=at(number), change_kind="editorial")
            for code in ("vi", "en"):
                setattr(draft, f"title_{code}", getattr(first, f"title_{code}"))
                setattr(draft, f"summary_{code}", CLAUSE[code].format(n=k))
                setattr(draft, f"body_{code}", large_terms(code, clauses=k))
            draft.save()
            # As a translator would: the ledger of the version before, every changed section confirmed.
            inherit_ledger(draft, previous)
            confirm_sections(draft, only_out_of_step=True)
            previous = publish_version(draft, editorial_confirmed=True)  # a bench history, not a notice test
    return count


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import django

    django.setup()
    print(fill(int(sys.argv[1]), large=int(sys.argv[2])))
