"""multipart/form-data bodies, read once for every route that takes uploads."""

from __future__ import annotations

from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP


class UnreadableForm(ValueError):
    """The body is not a multipart form that can be read."""


def read_multipart(
    content_type: str, body: bytes
) -> tuple[dict[str, list[str]], dict[str, list[tuple[str, bytes]]]]:
    """(fields, files) of a multipart/form-data body: each field name maps to its values, each
    file part's name to its (filename, bytes), in the order they came."""
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1", "replace") + b"\r\n\r\n" + body
    )
    if not message.is_multipart():
        raise UnreadableForm("the multipart body could not be read")
    fields: dict[str, list[str]] = {}
    files: dict[str, list[tuple[str, bytes]]] = {}
    for part in message.iter_parts():
        assert isinstance(part, Message)
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        filename = part.get_filename()
        if filename is not None:
            files.setdefault(name, []).append((filename, data))
        else:
            fields.setdefault(name, []).append(data.decode("utf-8", "replace"))
    return fields, files
