"""schema.org JSON-LD on version pages, read back through a JSON-LD processor (pyld)."""

import datetime
import hashlib
import json
import pathlib

import html5lib
import pytest
from pyld import jsonld

from django.utils.timezone import localtime

from legal.models import DocumentVersion
from legal.publishing import publish_version
from legal.translation_sync import confirm_sections, inherit_ledger
from tests.conftest import site_time

pytestmark = pytest.mark.django_db

HOST = "http://testserver"
SCHEMA = "http://schema.org/"
SWITCH = site_time(2026, 12, 1, 0, 0)  # when the shared `scheduled` version 2 takes effect
# A local copy of the parts of schema.org's JSON-LD context these pages use, with the same
# term definitions (IRIs for links, schema:Date for dates): the tests reach no network.
CONTEXT = json.loads((pathlib.Path(__file__).parent / "data" / "schemaorg-context.jsonld").read_text())


def load_document(url, options=None):
    if url.rstrip("/") not in ("https://schema.org", "http://schema.org"):
        raise jsonld.JsonLdError(f"no network in tests: {url}", "loading document failed")
    return {"contentType": "application/ld+json", "contextUrl": None, "documentUrl": url, "document": CONTEXT}


def scripts(response):
    tree = html5lib.parse(response.content.decode(), namespaceHTMLElements=False)
    return tree.findall(".//script")


def data_blocks(response):
    return [json.loads(s.text) for s in scripts(response) if s.get("type") == "application/ld+json"]


def expanded(response):
    (block,) = data_blocks(response)
    (node,) = jsonld.expand(block, {"documentLoader": load_document})
    return node


def values(node, name):
    return [item.get("@value", item.get("@id")) for item in node.get(SCHEMA + name, [])]


@pytest.mark.parametrize("path", ["/vi/terms-of-service/versions/2/", "/vi/terms-of-service/"])
def test_the_expanded_graph_describes_the_version(client, two_versions, clock, path):
    first, second = two_versions
    clock.move_to(SWITCH + datetime.timedelta(hours=1))  # version 2 in effect: the canonical page shows it
    node = expanded(client.get(path))
    url = f"{HOST}/vi/terms-of-service/versions/2/"
    assert node["@id"] == url
    assert node["@type"] == [SCHEMA + "DigitalDocument"]
    assert values(node, "url") == [url]
    assert values(node, "name") == [second.title_vi]
    assert values(node, "version") == ["2"]
    assert node[SCHEMA + "datePublished"] == [
        {"@type": SCHEMA + "Date", "@value": localtime(second.published_at).isoformat()}
    ]
    assert values(node, "dateModified") == [localtime(second.published_at).isoformat()]
    assert values(node, "temporalCoverage") == [f"{SWITCH.isoformat()}/.."]
    assert values(node, "inLanguage") == ["vi"]
    assert values(node, "isBasedOn") == [f"{HOST}/vi/terms-of-service/versions/1/"]
    assert values(node, "workTranslation") == [f"{HOST}/en/terms-of-service/versions/2/"]
    assert values(node, "translationOfWork") == []
    assert values(node, "isPartOf") == [f"{HOST}/vi/terms-of-service/"]
    (publisher,) = node[SCHEMA + "publisher"]
    assert values(publisher, "name") == ["Thủ Đô Multimedia"]
    (encoding,) = node[SCHEMA + "encoding"]
    (download,) = values(encoding, "contentUrl")
    body = client.get(download.removeprefix(HOST)).content
    assert values(encoding, "sha256") == [hashlib.sha256(body).hexdigest()] == [second.body_sha256_vi]
    assert values(encoding, "encodingFormat") == ["text/markdown"]


def test_the_english_page_is_a_translation_of_the_authoritative_one(client, two_versions):
    node = expanded(client.get("/en/terms-of-service/versions/1/"))
    first, second = two_versions
    assert values(node, "inLanguage") == ["en"]
    assert values(node, "name") == [first.title_en]
    assert values(node, "translationOfWork") == [f"{HOST}/vi/terms-of-service/versions/1/"]
    assert values(node, "workTranslation") == []
    assert values(node, "isBasedOn") == []  # version 1 is based on no earlier version
    # Superseded by version 2 at the switch: the period it applies ends there.
    assert values(node, "temporalCoverage") == [f"{localtime(first.effective_at).isoformat()}/{SWITCH.isoformat()}"]
    assert node[SCHEMA + "expires"] == [{"@type": SCHEMA + "Date", "@value": SWITCH.isoformat()}]
    (encoding,) = node[SCHEMA + "encoding"]
    assert values(encoding, "sha256") == [first.body_sha256_en]


def test_no_version_text_can_close_the_data_block(client, terms):
    """A title holding "</script>" stays inside the JSON and parses back exactly."""
    hostile = '</script><script>alert(1)</script><!-- & "quotes"'
    version = DocumentVersion(document=terms.document, effective_at=SWITCH, change_kind="editorial")
    for code in ("vi", "en"):
        setattr(version, f"title_{code}", hostile)
        setattr(version, f"summary_{code}", hostile)
        setattr(version, f"body_{code}", getattr(terms, f"body_{code}"))
    version.save()
    inherit_ledger(version, terms)
    confirm_sections(version, only_out_of_step=True)  # the new titles are checked against each other
    publish_version(version)
    response = client.get("/en/terms-of-service/versions/2/")
    assert "</script><script>" not in response.content.decode()
    assert [block["name"] for block in data_blocks(response)] == [hostile]
    assert [s.get("src") or s.get("type") for s in scripts(response)] == [
        "application/ld+json",
        "/static/legal/site.js",
    ]


@pytest.mark.parametrize(
    "path",
    ["/vi/", "/vi/terms-of-service/", "/en/terms-of-service/versions/", "/en/terms-of-service/versions/1/"],
)
def test_the_only_inline_element_is_a_json_ld_data_block(client, terms, path):
    """The no-inline-script guarantee holds: a data block is never executed, and the CSP is unchanged.

    Every <script> either loads a same-origin file or is `application/ld+json` holding valid
    JSON; the policy still has `script-src 'self'` and no 'unsafe-inline'.
    """
    response = client.get(path)
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    for script in scripts(response):
        if script.get("src"):
            assert script.get("src").startswith("/static/") and not (script.text or "").strip()
        else:
            assert script.get("type") == "application/ld+json"
            json.loads(script.text)
