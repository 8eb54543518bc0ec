"""A local OpenAI-compatible chat server with a fixed latency, for the pipeline benchmark.

``python -m bench.fake_llm --port 8399 --latency-ms 1000``: every ``POST /v1/chat/completions``
waits the latency, then answers a ``ReplyOutput`` JSON that cites passage [1], as one completion
or as a server-sent event stream (``"stream": true``) of small pieces.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import AsyncIterator

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

ANSWER = {
    "answer": "Here is what our pharmacy information says on that [1].",
    "citations": [1],
    "answered": True,
    "confidence": 0.9,
    "needs_human": False,
}


def _chunk(delta: dict[str, object], finish: str | None = None) -> str:
    body = {
        "id": "chatcmpl-bench",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": "bench-model",
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
    }
    return f"data: {json.dumps(body)}\n\n"


def build_app(latency_s: float) -> Starlette:
    async def completions(request: Request) -> Response:
        body = await request.json()
        await asyncio.sleep(latency_s)
        content = json.dumps(ANSWER)
        if not body.get("stream"):
            return JSONResponse(
                {
                    "id": "chatcmpl-bench",
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": "bench-model",
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": content},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": {"prompt_tokens": 400, "completion_tokens": 40, "total_tokens": 440},
                }
            )

        async def events() -> AsyncIterator[str]:
            yield _chunk({"role": "assistant", "content": ""})
            for i in range(0, len(content), 8):
                yield _chunk({"content": content[i : i + 8]})
            yield _chunk({}, "stop")
            usage = {"prompt_tokens": 400, "completion_tokens": 40, "total_tokens": 440}
            yield (
                "data: "
                + json.dumps(
                    {
                        "id": "chatcmpl-bench",
                        "object": "chat.completion.chunk",
                        "created": 0,
                        "model": "bench-model",
                        "choices": [],
                        "usage": usage,
                    }
                )
                + "\n\n"
            )
            yield "data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    return Starlette(routes=[Route("/v1/chat/completions", completions, methods=["POST"])])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--latency-ms", type=float, default=1000.0)
    args = parser.parse_args()
    uvicorn.run(
        build_app(args.latency_ms / 1000), host="127.0.0.1", port=args.port, log_level="warning"
    )


if __name__ == "__main__":
    main()
