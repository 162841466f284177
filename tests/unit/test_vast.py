"""VAST 4.2 audio ads, validated against the IAB schema with lxml."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from lxml import etree

from audiofn.audio import Audio
from audiofn.codecs import decode, encode
from audiofn.vast import (
    QUARTILE_EVENTS,
    VAST_RENDITIONS,
    AudioAd,
    MediaFile,
    Rendition,
    build_vast,
    format_duration,
    parse_duration,
    parse_rendition,
    safe_uri,
)

SCHEMA_DIR = Path("/work/shared/vast")
NS = {"v": "http://www.iab.com/VAST"}


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    path = SCHEMA_DIR / "vast_4.2.xsd"
    if not path.is_file():
        pytest.skip(f"{path} is not available")
    return etree.XMLSchema(etree.parse(str(path)))


MP3_URL = "https://media.example.com/public/org-1/job-7f3a.mp3"


def ad(
    media_url: str = MP3_URL,
    bitrate_kbps: int = 128,
    file_size: int | None = None,
    **overrides: object,
) -> AudioAd:
    values: dict[str, object] = {
        "ad_id": "job-7f3a",
        "title": "Spring sale at Fish & Chips",
        "media_files": (MediaFile(media_url, "audio/mpeg", bitrate_kbps, file_size),),
        "duration_seconds": 31.0024,
        "tracking_url": "https://api.example.com/track/job-7f3a/{event}",
    }
    values.update(overrides)
    return AudioAd(**values)  # type: ignore[arg-type]


def parse(document: str) -> etree._Element:
    return etree.fromstring(document.encode("utf-8"))


def test_document_validates_against_the_vast_4_2_schema(schema: etree.XMLSchema) -> None:
    document = build_vast(
        ad(advertiser="ACME", description="A test ad", file_size=498_000, ad_system_version="1.0")
    )
    root = parse(document)
    assert schema.validate(root), schema.error_log
    minimal = parse(build_vast(ad(error_url=False)))
    assert schema.validate(minimal), schema.error_log


def test_audio_inline_ad_content() -> None:
    root = parse(build_vast(ad()))
    assert root.get("version") == "4.2"
    ad_node = root.find("v:Ad", NS)
    assert ad_node is not None and ad_node.get("adType") == "audio"
    inline = ad_node.find("v:InLine", NS)
    assert inline is not None
    assert inline.findtext("v:AdSystem", namespaces=NS) == "audiofn"
    assert inline.findtext("v:AdTitle", namespaces=NS) == "Spring sale at Fish & Chips"
    assert inline.findtext("v:AdServingId", namespaces=NS) == "job-7f3a"
    impression = inline.findtext("v:Impression", namespaces=NS)
    assert impression == "https://api.example.com/track/job-7f3a/impression"
    creative = inline.find("v:Creatives/v:Creative", NS)
    assert creative is not None
    assert creative.find("v:UniversalAdId", NS) is not None
    assert creative.find("v:UniversalAdId", NS).get("idRegistry") == "audiofn"
    linear = creative.find("v:Linear", NS)
    assert linear is not None
    assert linear.findtext("v:Duration", namespaces=NS) == "00:00:31.002"
    media = linear.find("v:MediaFiles/v:MediaFile", NS)
    assert media is not None
    assert media.get("delivery") == "progressive" and media.get("type") == "audio/mpeg"
    assert (media.get("width"), media.get("height"), media.get("bitrate")) == ("0", "0", "128")
    assert media.text == "https://media.example.com/public/org-1/job-7f3a.mp3"
    tracking = {t.get("event"): t.text for t in linear.findall("v:TrackingEvents/v:Tracking", NS)}
    assert list(tracking) == list(QUARTILE_EVENTS)
    assert tracking["midpoint"] == "https://api.example.com/track/job-7f3a/midpoint"


def test_tracking_urls_from_a_function_and_unsafe_characters(schema: etree.XMLSchema) -> None:
    document = build_vast(
        ad(
            tracking_url=lambda event: f"https://t.example.com/e?ad=job 7&event={event}&cb=[CB]",
            media_url="https://media.example.com/public/my file.mp3",
        )
    )
    root = parse(document)
    assert schema.validate(root), schema.error_log
    urls = [t.text for t in root.iter("{http://www.iab.com/VAST}Tracking")]
    assert urls[0] == "https://t.example.com/e?ad=job%207&event=start&cb=%5BCB%5D"
    assert "my%20file.mp3" in document
    assert safe_uri("https://x.example/a%20b?q=1") == "https://x.example/a%20b?q=1"


def test_duration_format_to_the_millisecond() -> None:
    assert format_duration(0.0) == "00:00:00.000"
    assert format_duration(59.9996) == "00:01:00.000"
    assert format_duration(3723.0456) == "01:02:03.046"
    assert parse_duration("01:02:03.046") == pytest.approx(3723.046)
    with pytest.raises(ValueError):
        format_duration(-1.0)
    with pytest.raises(ValueError):
        build_vast(ad(bitrate_kbps=0))
    with pytest.raises(ValueError):
        build_vast(ad(media_files=()))


def test_duration_matches_the_encoded_file(schema: etree.XMLSchema) -> None:
    # Given a real MP3 of an odd length (not a whole number of milliseconds or MP3 frames)
    rate = 44_100
    t = np.arange(rate * 7 + 1234) / rate
    tone = (0.2 * np.sin(2 * np.pi * 440.0 * t)).astype(np.float32)
    data = encode(Audio(np.stack([tone, tone], axis=1), rate), "mp3", bitrate_kbps=128)
    decoded = decode(data)
    # When its VAST is built from the file's duration
    root = parse(build_vast(ad(duration_seconds=decoded.duration, file_size=len(data))))
    assert schema.validate(root), schema.error_log
    duration = root.findtext(".//v:Duration", namespaces=NS)
    # Then: the Duration is the file's duration to the millisecond
    assert duration is not None
    assert abs(parse_duration(duration) - decoded.duration) <= 0.0005
    assert abs(decoded.duration - len(t) / rate) <= 0.0005


def test_renditions_and_a_mezzanine_validate_in_the_schema_order(schema: etree.XMLSchema) -> None:
    # Given an ad with three renditions, a lossless mezzanine and an advertiser's Ad-ID
    base = "https://media.example.com/public/org-1/job-7f3a"
    renditions = (
        MediaFile(f"{base}.mp3", "audio/mpeg", 192, 720_000, id="a-mp3-192k"),
        MediaFile(f"{base}.mp3-96k.mp3", "audio/mpeg", 96, 360_000),
        MediaFile(f"{base}.m4a-128k.m4a", "audio/mp4", 128, 480_000, codec="mp4a.40.2"),
    )
    mezzanine = MediaFile(f"{base}.mezzanine.flac", "audio/flac", file_size=2_900_000)
    document = build_vast(
        ad(
            media_files=renditions,
            mezzanine=mezzanine,
            universal_ad_id="ABCD0123456H",
            universal_ad_id_registry="ad-id.org",
        )
    )

    # Then it is valid VAST 4.2, listing every MediaFile before the Mezzanine
    root = parse(document)
    assert schema.validate(root), schema.error_log
    files = root.find(".//v:MediaFiles", NS)
    assert files is not None
    tags = [etree.QName(child).localname for child in files]
    assert tags == ["MediaFile", "MediaFile", "MediaFile", "Mezzanine"]
    listed = [(m.get("type"), m.get("bitrate"), m.get("fileSize")) for m in files[:3]]
    assert listed == [
        ("audio/mpeg", "192", "720000"),
        ("audio/mpeg", "96", "360000"),
        ("audio/mp4", "128", "480000"),
    ]
    assert [m.get("id") for m in files[:3]] == ["a-mp3-192k", "job-7f3a-2", "job-7f3a-3"]
    assert files[2].get("codec") == "mp4a.40.2" and files[0].get("codec") is None
    assert files[3].text == f"{base}.mezzanine.flac"
    assert files[3].get("bitrate") is None and files[3].get("delivery") == "progressive"
    assert (files[3].get("width"), files[3].get("height")) == ("0", "0")
    universal = root.find(".//v:UniversalAdId", NS)
    assert universal is not None
    assert (universal.get("idRegistry"), universal.text) == ("ad-id.org", "ABCD0123456H")


def test_rendition_names_round_trip() -> None:
    assert [r.name for r in VAST_RENDITIONS] == ["mp3-192k", "mp3-96k", "m4a-128k"]
    assert all(parse_rendition(r.name) == r for r in VAST_RENDITIONS)
    assert parse_rendition("mp3-320k") == Rendition("mp3", 320)
    for bad in ("mp3", "mp3-k", "-96k", "mp3-96"):
        with pytest.raises(ValueError):
            parse_rendition(bad)


def test_an_ads_files_reuse_the_end_formats_and_add_only_what_they_lack() -> None:
    from audiofn.services.mastering import _vast_files

    # Given a master made as a 96 kbps MP3 and a FLAC
    planned = _vast_files(["mp3_low", "flac"], "org/script/token/ad")

    # Then the 96 kbps MP3 and the FLAC are those files; the other renditions are added after
    assert planned["vast_media"] == {
        "mp3-96k": "org/script/token/ad-low.mp3",
        "mp3-192k": "org/script/token/ad.mp3-192k.mp3",
        "m4a-128k": "org/script/token/ad.m4a-128k.m4a",
    }
    assert planned["vast_mezzanine"] == "org/script/token/ad.flac"
    # ... and with the default end format, the 192 kbps MP3 leads and a mezzanine is made
    default = _vast_files(["mp3"], "p/ad")
    assert next(iter(default["vast_media"].items())) == ("mp3-192k", "p/ad.mp3")
    assert default["vast_mezzanine"] == "p/ad.mezzanine.flac"


def test_an_inbox_file_names_its_ad_id_in_front_matter() -> None:
    from audiofn.errors import InvalidInput
    from audiofn.inbox_files import read_options, split_front_matter

    # Given front matter with the advertiser's Ad-ID as a JSON object
    text = (
        "---\npublic: true\nvast: true\n"
        'universalAdId: {"idRegistry": "ad-id.org", "value": "ABCD0123456H"}\n---\nBuy now.\n'
    )
    values, body = split_front_matter(text)
    options = read_options(values, "front matter")
    assert body == "Buy now.\n"
    assert options.universalAdId is not None
    assert (options.universalAdId.idRegistry, options.universalAdId.value) == (
        "ad-id.org",
        "ABCD0123456H",
    )
    # ... and a code that is not an Ad-ID is refused, naming the field
    values["universalAdId"]["value"] = "abc 123"
    with pytest.raises(InvalidInput) as refused:
        read_options(values, "front matter")
    assert refused.value.field == "universalAdId.value"
