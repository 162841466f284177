"""VAST 4.2 InLine audio ads for public mastered files.

The document follows the IAB VAST 4.2 schema (``vast_4.2.xsd``), which fixes the order of
every element: InLine is AdSystem, Error, Impression, AdServingId, AdTitle, Advertiser,
Creatives, Description; a Creative is Linear then UniversalAdId; Linear is TrackingEvents,
Duration, MediaFiles. Audio ads carry ``adType="audio"`` and a MediaFile with
``width="0" height="0"``.

Built with the standard library (``xml.etree``); nothing here needs lxml. URLs are
percent-encoded where the XSD's ``anyURI`` (as libxml2 checks it) would reject a character,
so macros such as ``[CACHEBUSTING]`` come out as ``%5BCACHEBUSTING%5D``: substitute macros
on the tracking server side instead.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

VAST_NAMESPACE = "http://www.iab.com/VAST"
VAST_VERSION = "4.2"
QUARTILE_EVENTS = ("start", "firstQuartile", "midpoint", "thirdQuartile", "complete")
"""The linear tracking events every audio ad reports."""
IMPRESSION_EVENT = "impression"
ERROR_EVENT = "error"

_URI_SAFE = "!#$%&'()*+,-./:;=?@_~"
"""Characters kept as they are in URLs: RFC 3986 reserved and unreserved ones, and ``%`` so
existing escapes survive (``[`` and ``]`` are escaped: libxml2's anyURI refuses them)."""

TrackingUrl = Callable[[str], str] | str
"""A function from event name to URL, or a template with ``{event}`` in it."""


@dataclass(frozen=True)
class AudioAd:
    """Everything the VAST document says about one mastered file."""

    ad_id: str
    title: str
    media_url: str
    duration_seconds: float
    bitrate_kbps: int
    tracking_url: TrackingUrl
    mime_type: str = "audio/mpeg"
    ad_system: str = "audiofn"
    ad_system_version: str | None = None
    ad_serving_id: str | None = None
    """Defaults to ``ad_id``: one serving per published file."""
    universal_ad_id: str | None = None
    """Defaults to ``ad_id``."""
    universal_ad_id_registry: str = "audiofn"
    advertiser: str | None = None
    description: str | None = None
    file_size: int | None = None
    error_url: bool = True
    """Include an Error URL (the tracking URL of the ``error`` event)."""


def format_duration(seconds: float) -> str:
    """``HH:MM:SS.mmm``, rounded to the millisecond (the VAST Duration format)."""
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"duration must be a non-negative number of seconds, got {seconds}")
    millis = round(seconds * 1000.0)
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"


def parse_duration(text: str) -> float:
    """Seconds from ``HH:MM:SS`` or ``HH:MM:SS.mmm``."""
    hours, minutes, seconds = text.strip().split(":")
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def safe_uri(url: str) -> str:
    """Percent-encode what an XSD ``anyURI`` refuses (spaces, brackets, braces, quotes...)."""
    return quote(url.strip(), safe=_URI_SAFE)


def _event_url(tracking: TrackingUrl, event: str) -> str:
    url = tracking(event) if callable(tracking) else tracking.replace("{event}", event)
    return safe_uri(url)


def _element(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    node = ET.SubElement(parent, f"{{{VAST_NAMESPACE}}}{tag}", attrs)
    if text is not None:
        node.text = text
    return node


def build_vast(ad: AudioAd) -> str:
    """The VAST 4.2 XML document (UTF-8 text with an XML declaration) for one audio ad."""
    if ad.bitrate_kbps <= 0:
        raise ValueError(f"bitrate must be positive, got {ad.bitrate_kbps} kbps")
    ET.register_namespace("", VAST_NAMESPACE)
    root = ET.Element(f"{{{VAST_NAMESPACE}}}VAST", {"version": VAST_VERSION})
    ad_node = _element(root, "Ad", id=ad.ad_id, adType="audio")
    inline = _element(ad_node, "InLine")
    system_attrs = {"version": ad.ad_system_version} if ad.ad_system_version else {}
    _element(inline, "AdSystem", ad.ad_system, **system_attrs)
    if ad.error_url:
        _element(inline, "Error", _event_url(ad.tracking_url, ERROR_EVENT))
    _element(inline, "Impression", _event_url(ad.tracking_url, IMPRESSION_EVENT), id=ad.ad_id)
    _element(inline, "AdServingId", ad.ad_serving_id or ad.ad_id)
    _element(inline, "AdTitle", ad.title)
    if ad.advertiser:
        _element(inline, "Advertiser", ad.advertiser)
    creatives = _element(inline, "Creatives")
    creative = _element(creatives, "Creative", id=f"{ad.ad_id}-audio", adId=ad.ad_id, sequence="1")
    linear = _element(creative, "Linear")
    events = _element(linear, "TrackingEvents")
    for event in QUARTILE_EVENTS:
        _element(events, "Tracking", _event_url(ad.tracking_url, event), event=event)
    _element(linear, "Duration", format_duration(ad.duration_seconds))
    media_files = _element(linear, "MediaFiles")
    media_attrs = {
        "id": f"{ad.ad_id}-{ad.bitrate_kbps}k",
        "delivery": "progressive",
        "type": ad.mime_type,
        "width": "0",
        "height": "0",
        "bitrate": str(int(ad.bitrate_kbps)),
    }
    if ad.file_size is not None:
        media_attrs["fileSize"] = str(int(ad.file_size))
    _element(media_files, "MediaFile", safe_uri(ad.media_url), **media_attrs)
    _element(
        creative,
        "UniversalAdId",
        ad.universal_ad_id or ad.ad_id,
        idRegistry=ad.universal_ad_id_registry,
    )
    if ad.description:
        _element(inline, "Description", ad.description)
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"
