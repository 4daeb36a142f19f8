"""Redlines of published pairs, computed once and kept, so a public comparison page is
never recomputed per request.

Published versions never change, so the redline from version a to version b in one
language never changes either; it is stored in the database (not the cache, which may be
down or flushed), keyed by both versions, the language, both texts' SHA-256 and the diff
algorithm's revision (the model `legal.models.StoredRedline`). Storing is an optimisation: if the table cannot be read or written,
the redline is computed and the page is served all the same.
"""

import logging

from django.db import DatabaseError, IntegrityError, transaction

from .comparison import compare_versions, from_data, to_data
from .models import StoredRedline

# Revision of the stored redlines; stored redlines of another revision are recomputed.
# Bump it with diffing.ALGORITHM (the diff) or comparison.REVISION (grouping, moves):
# 4 is diffing's revision 3 (the exact alignment) read through grouping and moves; 3 read
# diffing's revision 2.
ALGORITHM = 4

logger = logging.getLogger(__name__)


def redline_for(old, new, language):
    """The redline from `old` to `new` in `language`: stored for published pairs."""
    if old.status != old.Status.PUBLISHED or new.status != new.Status.PUBLISHED:
        return compare_versions(old, new, language)
    key = {
        "old": old,
        "new": new,
        "language": language,
        "old_sha256": getattr(old, f"body_sha256_{language}") or "",
        "new_sha256": getattr(new, f"body_sha256_{language}") or "",
        "algorithm": ALGORITHM,
    }
    try:
        data = StoredRedline.objects.filter(**key).values_list("data", flat=True).first()
    except DatabaseError:
        logger.warning("stored redlines cannot be read; computing %s -> %s", old.pk, new.pk, exc_info=True)
        data = None
    if data is not None:
        return from_data(data)
    redline = compare_versions(old, new, language)
    try:
        with transaction.atomic():  # a savepoint: a failed insert leaves the request's transaction usable
            StoredRedline.objects.create(**key, data=to_data(redline))
    except IntegrityError:
        pass  # another request stored the same redline first
    except DatabaseError:
        logger.warning("a redline could not be stored; serving it anyway", exc_info=True)
    return redline
