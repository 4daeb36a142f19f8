"""Atom feed of a document's published versions, one feed per document and language."""

from django.contrib.syndication.views import Feed
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from . import clock, paging
from .models import Document


class PagedAtom1Feed(Atom1Feed):
    """Atom with RFC 5005 paging links (`first`, `previous`, `next`, `last`) when there are several pages."""

    def add_root_elements(self, handler):
        super().add_root_elements(handler)
        for rel, href in self.feed.get("paging_links", ()):
            handler.addQuickElement("link", "", {"rel": rel, "href": href})


class DocumentVersionsFeed(Feed):
    """Every published version, scheduled ones included, and withdrawn ones marked (never drafts).

    A withdrawn version keeps its entry, updated at its withdrawal, so a reader who saw it
    announced learns that it will not take effect.
    """

    feed_type = PagedAtom1Feed
    # RFC 5005 paged feed: newest first, this many entries a page (`?page=N`).
    page_size = 50
    author_name = "Sigma.video"
    description_template = "feeds/version_description.html"
    item_guid_is_permalink = False

    def get_object(self, request, slug):
        page = paging.page_number(request.GET.get("page", "1"))
        if page is None:
            raise Http404
        document = get_object_or_404(Document.objects.with_published_versions(), slug=slug)
        document.feed_page = page
        document.feed_pages = max(1, -(-self._listed(document).count() // self.page_size))
        if document.feed_page > document.feed_pages:
            raise Http404
        return document

    def _listed(self, document):
        return document.versions.listed()

    def _page_url(self, document, page):
        return paging.page_url(reverse("legal:feed", kwargs={"slug": document.slug}), page)

    def feed_extra_kwargs(self, document):
        if document.feed_pages == 1:
            return {}
        page, pages = document.feed_page, document.feed_pages
        links = [("first", self._page_url(document, 1))]
        if page > 1:
            links.append(("previous", self._page_url(document, page - 1)))
        if page < pages:
            links.append(("next", self._page_url(document, page + 1)))
        links.append(("last", self._page_url(document, pages)))
        return {"paging_links": [(rel, self.request.build_absolute_uri(href)) for rel, href in links]}

    def get_feed(self, obj, request):
        self.request = request
        return super().get_feed(obj, request)

    def title(self, document):
        return document.title

    def subtitle(self, document):
        return _("Every published version of the %(title)s of Sigma.video.") % {"title": document.title}

    def link(self, document):
        return reverse("legal:document", kwargs={"slug": document.slug})

    def feed_url(self, document):
        return self._page_url(document, document.feed_page)

    def items(self, document):
        start = (document.feed_page - 1) * self.page_size
        rows = self._listed(document).with_public_state().select_related("document").order_by("-number")
        return rows[start : start + self.page_size]

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "now": clock.now()}

    def item_title(self, version):
        if version.is_withdrawn:
            return _("Version %(number)s (withdrawn, never in effect)") % {"number": version.number}
        return _("Version %(number)s") % {"number": version.number}

    def item_link(self, version):
        return version.get_absolute_url()

    def item_guid(self, version):
        # Stable whatever the host the feed was fetched from; one entry per version and language.
        return f"tag:sigma.video,2026:{version.document.slug}:version:{version.number}:{get_language()}"

    def item_pubdate(self, version):
        return version.published_at

    def item_updateddate(self, version):
        return version.withdrawn_at or version.published_at
