"""Streaming speech function: the ASGI app uvicorn serves under the Lambda Web Adapter
(a Function URL in RESPONSE_STREAM mode); the local runtime serves the same `app`."""

import threading

from audiofn.workers import speech_stream

app = speech_stream.build_stream_app()
# Load the voice and the encoders while the first request is still on its way.
threading.Thread(target=speech_stream.warm_up, name="speech-warm-up", daemon=True).start()
