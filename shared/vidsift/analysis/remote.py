"""A seekable, read-only file over an S3 object, fetched in ranges.

Container metadata lives in a few hundred KiB (an MP4's ``moov`` may sit at the end), so reading it
through ranged GETs costs a handful of requests instead of downloading the whole video.
"""

from __future__ import annotations

import io

from ..storage.s3 import _wrap, s3_client, split_s3_url

READ_AHEAD = 256 << 10  # one ranged GET fetches at least this much: a moov fits in one or two


class S3RangeFile(io.RawIOBase):
    def __init__(self, uri: str, endpoint_url: str | None = None, region: str | None = None):
        self.uri = uri
        self.bucket, self.key = split_s3_url(uri)
        self.client = s3_client(endpoint_url, region)
        try:
            self.size = int(self.client.head_object(Bucket=self.bucket, Key=self.key)["ContentLength"])
        except Exception as exc:  # translated into NotFound / StorageError
            raise _wrap(exc, uri) from exc
        self.pos = 0
        self.fetched = 0  # bytes downloaded so far: shows a metadata read stays small

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.pos, io.SEEK_END: self.size}[whence]
        self.pos = max(0, base + offset)
        return self.pos

    def readinto(self, buf) -> int:
        if self.pos >= self.size or len(buf) == 0:
            return 0
        end = min(self.pos + len(buf), self.size) - 1
        try:
            body = self.client.get_object(
                Bucket=self.bucket, Key=self.key, Range=f"bytes={self.pos}-{end}"
            )["Body"].read()
        except Exception as exc:
            raise _wrap(exc, self.uri) from exc
        n = len(body)
        buf[:n] = body
        self.pos += n
        self.fetched += n
        return n


def open_s3_range(uri: str, endpoint_url: str | None = None, region: str | None = None) -> io.BufferedReader:
    return io.BufferedReader(S3RangeFile(uri, endpoint_url, region), buffer_size=READ_AHEAD)
