"""A loopback HTTP server that lets path-taking tools (ffmpeg, ffprobe, OpenCV, PyAV) read a remote
input through the block cache, seeking with ``Range`` requests instead of downloading the source.

Each registered source gets an unguessable URL on 127.0.0.1 for as long as its task holds it. The
server fetches a block only when it is about to send it and keeps its socket buffer small, so a tool
that stops reading (ffmpeg once a clip's frames are out) leaves little read in vain.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote

from .blockcache import CachedSource

log = logging.getLogger(__name__)
SEND_BUFFER = 16 << 10  # with the reader's own buffer, what a closed connection can leave read in vain
_RANGE = re.compile(r"bytes=(\d*)-(\d*)$")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "_Server"

    def log_message(self, *args) -> None:  # requests are counted, not logged
        pass

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER)

    def _source(self) -> CachedSource | None:
        token = self.path.lstrip("/").split("/", 1)[0]
        return self.server.sources.get(token)

    def do_HEAD(self) -> None:
        self._serve(body=False)

    def do_GET(self) -> None:
        self._serve(body=True)

    def _serve(self, body: bool) -> None:
        src = self._source()
        if src is None:
            self.send_error(404)
            return
        start, end = 0, src.size
        m = _RANGE.match(self.headers.get("Range", ""))
        if m and (m.group(1) or m.group(2)):
            if m.group(1):
                start = int(m.group(1))
                end = min(src.size, int(m.group(2)) + 1) if m.group(2) else src.size
            else:  # suffix range: the last N bytes
                start = max(0, src.size - int(m.group(2)))
            if start >= src.size:
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{src.size}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{end - 1}/{src.size}")
        else:
            self.send_response(200)
        # One request per connection, said out loud: a reader that believes the connection persists
        # (OpenCV's ffmpeg) would send its next request into a socket closed under it.
        self.close_connection = True
        self.send_header("Connection", "close")
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(end - start))
        self.end_headers()
        if body:
            with src.serving():
                self._send(src, start, end)

    def _send(self, src: CachedSource, start: int, end: int) -> None:
        bs = src.block_size
        pos = start
        try:
            while pos < end and not src.closed:
                stop = min(end, (pos // bs + 1) * bs)
                data = src.read(pos, stop)  # upstream errors are kept on the source (src.check())
                self.wfile.write(data)
                pos = stop
        except (BrokenPipeError, ConnectionResetError):
            pass  # the tool has what it wanted and closed the connection
        except Exception:  # kept on the source; the tool sees a short read
            log.debug("serving %s failed at byte %d", src.name, pos, exc_info=True)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.sources: dict[str, CachedSource] = {}


_server: _Server | None = None
_server_pid = 0
_lock = threading.Lock()
# The receive buffer readers of the server should ask for (ffmpeg's recv_buffer_size), for the same reason.
RECV_BUFFER = 64 << 10


def _get_server() -> _Server:
    global _server, _server_pid
    # OpenCV takes ffmpeg options only from its environment: a small receive buffer for its http
    # reads, or the kernel lets it run megabytes ahead of a range task's last frame. (Local files
    # ignore the option; a value the operator set is kept.)
    os.environ.setdefault("OPENCV_FFMPEG_CAPTURE_OPTIONS", f"recv_buffer_size;{RECV_BUFFER}")
    with _lock:
        if _server is None or _server_pid != os.getpid():  # a forked child has no serving thread
            _server, _server_pid = _Server(), os.getpid()
            threading.Thread(target=_server.serve_forever, name="vidsift-media", daemon=True).start()
        return _server


def register(src: CachedSource) -> tuple[str, str]:
    """(token, URL) under which tools read ``src`` until ``unregister(token)``."""
    server = _get_server()
    token = secrets.token_urlsafe(16)
    server.sources[token] = src
    # The file name keeps its suffix: demuxers that guess by extension (.ts, .mkv) still can.
    return token, f"http://127.0.0.1:{server.server_address[1]}/{token}/{quote(src.name)}"


def unregister(token: str) -> None:
    if _server is not None:
        _server.sources.pop(token, None)
