"""What every host of a release sends beside the bytes: the CORS policy and the cache
lifetimes, one definition for `ketamine-kg serve` and the generated nginx/Apache rules.

Lifetimes (`Cache-Control`):

- VERSIONED, one week: files under a version IRI (`/ketamine-kg/release/<version>/…`);
- STATIC, one day: the query UI's own files (`/ui/…`), which change only with the software;
- CURRENT, one hour: everything that names the current release: documents and files under
  their unversioned names, `/downloads/…`, redirects, query answers, VoID.
"""

from ketamine_kg.release.directory import CONTEXT

VERSIONED = "public, max-age=604800"
STATIC = "public, max-age=86400"
CURRENT = "public, max-age=3600"

#: Release files that are downloads (DCAT distributions) but are not sent as attachments:
#: JSON-LD processors load the context, and a browser may show it.
INLINE_DOWNLOADS = (CONTEXT,)

#: On every response that is not an HTML page: data is public, read-only and needs no
#: credentials, so any origin may read it (never with cookies: no Allow-Credentials).
CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Allow-Headers": "Accept, Content-Type",
    "Access-Control-Expose-Headers": "Content-Location, ETag, Link, Retry-After",
}
