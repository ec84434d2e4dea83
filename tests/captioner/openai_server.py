"""An OpenAI-compatible test server: real HTTP on 127.0.0.1, scripted answers, recorded requests.

``server.script`` is a list of answers used in order (then ``default``): each is
``(status, headers, body)`` where body is a dict (sent as JSON) or str (sent as is).
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def completion(text: str, prompt_tokens: int = 100, completion_tokens: int = 20, **message) -> dict:
    return {
        "id": "chatcmpl-test", "object": "chat.completion", "model": "test-model",
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": text, "refusal": None, **message}}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                  "total_tokens": prompt_tokens + completion_tokens},
    }


class OpenAITestServer:
    def __init__(self):
        self.requests: list[dict] = []  # {"path", "headers", "body", "t"}
        self.script: list[tuple[int, dict, object]] = []
        self.default = (200, {}, completion("A brown dog runs along a sandy beach as the camera pans left."))
        self.gets: list[dict] = []  # GET requests (the preflight's), apart from the completions
        self.models = ["test-model"]  # GET /models lists these (None: the server has no /models)
        self.key: str | None = None  # a key GET /models requires (None: any)
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                import time

                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with server._lock:
                    server.requests.append({"path": self.path, "headers": dict(self.headers), "body": body,
                                            "t": time.monotonic()})
                    status, headers, payload = server.script.pop(0) if server.script else server.default
                if callable(payload):
                    payload = payload(self.headers, body)
                data = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                with server._lock:
                    server.gets.append({"path": self.path, "headers": dict(self.headers)})
                if server.models is None or not self.path.endswith("/models"):
                    status, doc = 404, {"error": {"message": "not found"}}
                elif server.key and self.headers.get("Authorization") != f"Bearer {server.key}":
                    status, doc = 401, {"error": {"message": "invalid api key"}}
                else:
                    status, doc = 200, {"object": "list", "data": [{"id": m, "object": "model"} for m in server.models]}
                data = json.dumps(doc).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):  # keep test output clean
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    def stop(self):
        self._httpd.shutdown()
        self._httpd.server_close()
