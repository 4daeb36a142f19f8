"""Sitemap of every document and published version page, in each language, and robots.txt."""

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.db.models import OuterRef, Subquery
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import cache_control

from . import clock
from .models import Document, DocumentVersion


class LocalisedSitemap(Sitemap):
    """Each page once per language, with hreflang alternates and x-default (the Vietnamese page)."""

    i18n = True
    alternates = True
    x_default = True

    def get_urls(self, *args, **kwargs):
        # Django points x-default at the address without a language prefix. Here that is a
        # redirect, and the pages' own <link hreflang="x-default"> name the default
        # language's page, so the sitemap says the same.
        urls = super().get_urls(*args, **kwargs)
        for url in urls:
            default = {alt["lang_code"]: alt["location"] for alt in url["alternates"]}.get(settings.LANGUAGE_CODE)
            for alternate in url["alternates"]:
                if alternate["lang_code"] == "x-default" and default:
                    alternate["location"] = default
        return urls


class DocumentSitemap(LocalisedSitemap):
    """The canonical page of each document; lastmod is the current version's effective date."""

    changefreq = "monthly"
    priority = 1.0

    def items(self):
        current = DocumentVersion.objects.filter(document=OuterRef("pk")).in_effect(clock.now()).values("effective_at")
        return Document.objects.annotate(current_since=Subquery(current)).filter(current_since__isnull=False)

    def location(self, document):
        return reverse("legal:document", kwargs={"slug": document.slug})

    def lastmod(self, document):
        return document.current_since


class VersionSitemap(LocalisedSitemap):
    """The permanent page of every published version, scheduled ones included (they are public)."""

    changefreq = "yearly"
    priority = 0.5

    def items(self):
        return DocumentVersion.objects.published().select_related("document").order_by("document__slug", "number")

    def location(self, version):
        return version.get_absolute_url()

    def lastmod(self, version):
        # A lastmod must not lie in the future: a scheduled version's page dates from its publication.
        if version.is_scheduled_at(clock.now()):
            return version.published_at
        return version.effective_at


SITEMAPS = {"documents": DocumentSitemap, "versions": VersionSitemap}


@cache_control(public=True, max_age=settings.SITEMAP_MAX_AGE)
def robots_txt(request):
    context = {"sitemap_url": request.build_absolute_uri(reverse("sitemap")), "admin_path": "/" + settings.ADMIN_URL}
    return render(request, "robots.txt", context, content_type="text/plain; charset=utf-8")
