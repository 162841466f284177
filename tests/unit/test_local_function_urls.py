"""Streamed Function URLs locally: the function's ASGI app mounted ahead of the gateway."""

from __future__ import annotations

from pathlib import Path

from starlette.testclient import TestClient

from audiofn_local.function_urls import is_streamed_url, load_url_app, url_routes
from audiofn_local.gateway import HttpApiGateway, build_gateway_app
from audiofn_local.routes import RouteTable
from audiofn_local.template_model import FunctionSpec, FunctionUrlConfig, load_template

REPO = Path(__file__).resolve().parents[2]

APP = """
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse, StreamingResponse
from starlette.routing import Route


async def speak(request):
    return StreamingResponse(iter([b"one ", b"two"]), media_type="text/plain")


async def hello(request):
    return PlainTextResponse("hello " + request.path_params["name"])


app = Starlette(routes=[
    Route("/v1/speak", speak, methods=["POST"]),
    Route("/hello/{name}", hello, methods=["GET"]),
])
"""


def test_the_template_s_streaming_function_is_served_locally():
    template = load_template(REPO / "template.yaml")
    spec = template.functions["SpeechStreamFunction"]

    assert is_streamed_url(spec)
    assert (spec.code_dir / "app.py").is_file()  # the ASGI app the image's uvicorn serves


def test_app_routes_go_in_front_and_the_rest_to_the_gateway(tmp_path):
    (tmp_path / "app.py").write_text(APP)
    spec = FunctionSpec(
        logical_id="StreamFunction",
        code_dir=tmp_path,
        handler="app.app",
        timeout=30,
        memory_size=512,
        environment={},
        url=FunctionUrlConfig(invoke_mode="RESPONSE_STREAM"),
    )
    app = load_url_app(spec, "test_stream_app_module")
    gateway = HttpApiGateway(RouteTable([]), {})
    client = TestClient(build_gateway_app(gateway, extra_routes=url_routes(app)))

    assert client.post("/v1/speak").text == "one two"
    assert client.get("/hello/ada").text == "hello ada"
    assert client.get("/v1/speak").status_code == 404  # other methods fall through
    assert client.get("/elsewhere").status_code == 404  # the gateway: no HttpApi route
