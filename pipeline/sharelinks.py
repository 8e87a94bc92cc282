"""Links from file-sharing services (Google Drive, Dropbox, SharePoint, OneDrive...), which show a page, not the file.

People who keep reviews in a shared drive paste its "share" link into the manifest. Such a link opens a web page
that shows the file (or asks the visitor to sign in); fetching it gives HTML, not the PDF. Two services have a
documented address that gives the file itself, and the fetcher uses it:

- Google Drive: ``https://drive.google.com/file/d/ID/view`` (or ``open?id=ID``) downloads from
  ``https://drive.google.com/uc?export=download&id=ID``;
- Dropbox: a shared link downloads the file when its ``dl`` parameter is 1 instead of 0.

The others (SharePoint, OneDrive, Box, iCloud, WeTransfer) need a signed-in browser or a page's script, so a page
from them gets an error that names the service and says what to do.

>>> direct_download("https://drive.google.com/file/d/1AbC_dEf-123/view?usp=sharing")
'https://drive.google.com/uc?export=download&id=1AbC_dEf-123'
>>> direct_download("https://www.dropbox.com/scl/fi/x7y/child-d.pdf?rlkey=k3&dl=0")
'https://www.dropbox.com/scl/fi/x7y/child-d.pdf?rlkey=k3&dl=1'
>>> direct_download("https://example.org/child-d.pdf") is None
True
>>> sharing_service("https://northmoor.sharepoint.com/:b:/s/Safeguarding/EaBc123?e=xyz")
'SharePoint'
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# host (or the end of it) -> the service's name, as people know it
_SERVICES = (
    ("drive.google.com", "Google Drive"),
    ("docs.google.com", "Google Drive"),
    ("dropbox.com", "Dropbox"),
    ("sharepoint.com", "SharePoint"),
    ("onedrive.live.com", "OneDrive"),
    ("1drv.ms", "OneDrive"),
    ("box.com", "Box"),
    ("icloud.com", "iCloud"),
    ("wetransfer.com", "WeTransfer"),
    ("we.tl", "WeTransfer"),
)
_DRIVE_FILE = re.compile(r"^/file/d/([A-Za-z0-9_-]{10,})(?:/|$)")


def sharing_service(url: str) -> str | None:
    """The file-sharing service a web address belongs to ("Google Drive", "SharePoint"...), or None."""
    host = (urlsplit(url).hostname or "").lower()
    for domain, name in _SERVICES:
        if host == domain or host.endswith("." + domain):
            return name
    return None


def direct_download(url: str) -> str | None:
    """The address that gives the shared file itself, for a Google Drive or Dropbox sharing link; else None
    (also for a link that already downloads)."""
    parts = urlsplit(url)
    service = sharing_service(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    if service == "Google Drive" and (parts.hostname or "").lower() == "drive.google.com":
        match = _DRIVE_FILE.match(parts.path)
        file_id = match.group(1) if match else dict(query).get("id") if parts.path in ("/open", "/uc") else None
        if not file_id:
            return None
        direct = f"https://drive.google.com/uc?export=download&id={file_id}"
        return None if direct == url else direct
    if service == "Dropbox" and parts.path.strip("/") and dict(query).get("dl") != "1":
        query = [(k, v) for k, v in query if k != "dl"] + [("dl", "1")]
        return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))
    return None


def opens_a_page(url: str) -> bool:
    """Whether a sharing service's link gives its page rather than the file, even after :func:`direct_download`:
    SharePoint, OneDrive, Box and the like, a Google Drive folder or Google Docs document.

    >>> opens_a_page("https://drive.google.com/file/d/1AbCdEfGhIjK/view"), opens_a_page("https://1drv.ms/b/s!Ab")
    (False, True)
    """
    service = sharing_service(url)
    if service is None or direct_download(url):
        return False
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    if service == "Google Drive":
        return not ((parts.hostname or "").lower() == "drive.google.com" and parts.path == "/uc" and query.get("id"))
    if service == "Dropbox":
        return query.get("dl") != "1"
    return True


def sharing_page_problem(service: str) -> tuple[str, str]:
    """(what happened, what to do) when a sharing service gave its page instead of the file.

    >>> what, advice = sharing_page_problem("SharePoint")
    >>> what
    'the link opens a SharePoint page that shows the file (and may ask to sign in), not the PDF itself'
    """
    return (f"the link opens a {service} page that shows the file (and may ask to sign in), not the PDF itself",
            f"Open the link, download the PDF and put its file name in the source column, or a link from {service} "
            "that downloads the file itself.")
