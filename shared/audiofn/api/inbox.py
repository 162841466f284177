"""GET/PUT /org/defaults: the settings every inbox file starts from."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body

from audiofn.api.deps import org_id, services
from audiofn.inbox_files import InboxOptions
from audiofn.storage.inbox_table import InboxTable

router = Router()


def _table() -> InboxTable:
    return InboxTable(services().settings.table)


@router.get("/org/defaults")
def get_defaults() -> dict[str, Any]:
    return _table().get_defaults(org_id(router))


@router.put("/org/defaults")
def put_defaults(request: Annotated[InboxOptions, Body()]) -> dict[str, Any]:
    settings = request.model_dump(exclude_none=True)
    _table().put_defaults(org_id(router), settings)
    return settings
