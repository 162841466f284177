"""What a VAST file's media files really are, read back from their bytes: the checks an ad
server would make before trusting the document (type, bitrate, duration)."""

from __future__ import annotations

import io
from dataclasses import dataclass

import av
from lxml import etree

from audiofn.codecs import decode
from audiofn.vast import parse_duration

NS = {"v": "http://www.iab.com/VAST"}
CONTAINER_TYPES = {
    "mp3": "audio/mpeg",
    "mov,mp4,m4a,3gp,3g2,mj2": "audio/mp4",
    "flac": "audio/flac",
}
"""The MIME type of what FFmpeg's demuxer recognises in the bytes."""


@dataclass(frozen=True)
class Listed:
    tag: str  # MediaFile or Mezzanine
    url: str
    type: str
    bitrate_kbps: int | None
    file_size: int | None


@dataclass(frozen=True)
class Measured:
    type: str
    codec: str
    audio_kbps: float
    """Bits of the audio stream's packets over the decoded duration (tags and credentials
    excluded: they are not what a player streams)."""
    duration: float
    sample_rate: int


def listed_media(document: bytes) -> tuple[float, list[Listed]]:
    """The ad's declared Duration and every MediaFile and Mezzanine, in document order."""
    root = etree.fromstring(document)
    duration = parse_duration(root.findtext(".//v:Linear/v:Duration", namespaces=NS))
    listed = []
    for node in root.find(".//v:MediaFiles", NS):
        bitrate, size = node.get("bitrate"), node.get("fileSize")
        listed.append(
            Listed(
                tag=etree.QName(node).localname,
                url=(node.text or "").strip(),
                type=node.get("type"),
                bitrate_kbps=int(bitrate) if bitrate else None,
                file_size=int(size) if size else None,
            )
        )
    return duration, listed


def measure_media(data: bytes) -> Measured:
    """Container, codec and audio bitrate from FFmpeg's demuxer; duration from decoding."""
    decoded = decode(data)
    with av.open(io.BytesIO(data), mode="r") as container:
        stream = container.streams.audio[0]
        payload = sum(int(packet.size) for packet in container.demux(stream))
        kind = CONTAINER_TYPES.get(container.format.name, container.format.name)
        codec = stream.codec_context.name
    return Measured(
        type=kind,
        codec=codec,
        audio_kbps=payload * 8 / decoded.duration / 1000,
        duration=decoded.duration,
        sample_rate=decoded.sample_rate,
    )


def check_media(listed: Listed, data: bytes, duration: float) -> Measured:
    """Assert that the bytes are what the VAST file says they are: the declared type, the
    declared size, the declared bitrate within 3 % (CBR MP3 is exact but for padding; FFmpeg's
    AAC holds its average within 1 %), and the ad's Duration within one AAC frame (MP3 with
    its LAME tag decodes to the sample; M4A keeps up to 1,023 samples of the last frame)."""
    measured = measure_media(data)
    assert measured.type == listed.type, (listed.url, measured)
    if listed.file_size is not None:
        assert listed.file_size == len(data), listed.url
    if listed.bitrate_kbps is not None:
        assert abs(measured.audio_kbps / listed.bitrate_kbps - 1) <= 0.03, (listed, measured)
    assert abs(measured.duration - duration) <= 1024 / measured.sample_rate, (listed, measured)
    return measured
