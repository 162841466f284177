"""VAST 4.2 InLine audio ads for public mastered files.

The document follows the IAB VAST 4.2 schema (``vast_4.2.xsd``), which fixes the order of
every element: InLine is AdSystem, Error, Impression, AdServingId, AdTitle, Advertiser,
Creatives, Description; a Creative is Linear then UniversalAdId; Linear is TrackingEvents,
Duration, MediaFiles; MediaFiles is every MediaFile, then any Mezzanine. Audio ads carry
``adType="audio"`` and media files with ``width="0" height="0"``.

An ad lists several renditions of the same master (:data:`VAST_RENDITIONS`: MP3 at two
bitrates and AAC in M4A) so a player picks what it can play and afford, and a lossless
``Mezzanine`` (FLAC) from which an ad server can make its own. The ``UniversalAdId`` names the
creative: the advertiser's own code when one is given (for example an Ad-ID from
``ad-id.org``), else this service's (registry ``audiofn``, the ad's id).

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


DEFAULT_ID_REGISTRY = "audiofn"
"""The UniversalAdId registry when the advertiser names none: this service's own catalogue."""
MEZZANINE_FORMAT = "flac"
"""The Mezzanine's format: lossless, and half the size of WAV."""
CODECS = {"m4a": "mp4a.40.2"}
"""RFC 6381 codec of a format, where the MIME type alone leaves it open (AAC-LC in MP4)."""


@dataclass(frozen=True)
class Rendition:
    """One encoding of the master an ad lists as a MediaFile."""

    format: str
    bitrate_kbps: int

    @property
    def name(self) -> str:
        return f"{self.format}-{self.bitrate_kbps}k"


VAST_RENDITIONS = (Rendition("mp3", 192), Rendition("mp3", 96), Rendition("m4a", 128))
"""The renditions of every VAST ad, beside the master's own MP3 end formats: MP3, which every
player decodes, at 192 kbps and at 96 kbps for short bandwidth, and AAC-LC in M4A at 128 kbps.
A rendition an end format already made (``mp3`` is 192 kbps) is that file, not a second one."""


def parse_rendition(name: str) -> Rendition:
    """The rendition a name such as ``mp3-96k`` stands for."""
    fmt, _, kbps = name.rpartition("-")
    if not fmt or not kbps.endswith("k") or not kbps[:-1].isdigit():
        raise ValueError(f"not a rendition name: {name!r}")
    return Rendition(fmt, int(kbps[:-1]))


@dataclass(frozen=True)
class MediaFile:
    """One file the ad lists: a MediaFile (with its bitrate) or the Mezzanine (without)."""

    url: str
    mime_type: str
    bitrate_kbps: int | None = None
    file_size: int | None = None
    codec: str | None = None
    id: str | None = None


@dataclass(frozen=True)
class AudioAd:
    """Everything the VAST document says about one mastered file."""

    ad_id: str
    title: str
    media_files: tuple[MediaFile, ...]
    duration_seconds: float
    tracking_url: TrackingUrl
    mezzanine: MediaFile | None = None
    ad_system: str = "audiofn"
    ad_system_version: str | None = None
    ad_serving_id: str | None = None
    """Defaults to ``ad_id``: one serving per published file."""
    universal_ad_id: str | None = None
    """Defaults to ``ad_id``."""
    universal_ad_id_registry: str = DEFAULT_ID_REGISTRY
    advertiser: str | None = None
    description: str | None = None
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


def _media_element(parent: ET.Element, tag: str, media: MediaFile, default_id: str) -> None:
    """A MediaFile or Mezzanine: the XSD wants delivery, type, width and height on both; only
    a MediaFile has a bitrate."""
    attrs = {
        "id": media.id or default_id,
        "delivery": "progressive",
        "type": media.mime_type,
        "width": "0",
        "height": "0",
    }
    if tag == "MediaFile" and media.bitrate_kbps is not None:
        attrs["bitrate"] = str(int(media.bitrate_kbps))
    if media.codec:
        attrs["codec"] = media.codec
    if media.file_size is not None:
        attrs["fileSize"] = str(int(media.file_size))
    _element(parent, tag, safe_uri(media.url), **attrs)


def build_vast(ad: AudioAd) -> str:
    """The VAST 4.2 XML document (UTF-8 text with an XML declaration) for one audio ad."""
    if not ad.media_files:
        raise ValueError("an InLine ad needs at least one MediaFile")
    for media in ad.media_files:
        if media.bitrate_kbps is None or media.bitrate_kbps <= 0:
            raise ValueError(f"bitrate must be positive, got {media.bitrate_kbps} kbps")
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
    for index, media in enumerate(ad.media_files):
        _media_element(media_files, "MediaFile", media, f"{ad.ad_id}-{index + 1}")
    if ad.mezzanine is not None:
        _media_element(media_files, "Mezzanine", ad.mezzanine, f"{ad.ad_id}-mezzanine")
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
