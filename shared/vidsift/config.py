"""Settings from the environment, or a config file with the same keys.

Every setting is written once here. A config file (``VIDSIFT_CONFIG`` or ``--config``) is a YAML
mapping whose keys are the environment variable names; the environment wins over the file.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass, field, fields
from pathlib import Path

import yaml


@dataclass(frozen=True)
class Settings:
    broker_url: str = "amqp://guest:guest@127.0.0.1:5672//"
    storage_url: str = "file://./vidsift-data"
    s3_endpoint_url: str | None = None
    s3_region: str | None = None
    # Inputs: which URI schemes are allowed and where file:// inputs may live (empty = anywhere).
    allowed_schemes: tuple[str, ...] = ("file", "s3", "http", "https")
    file_roots: tuple[str, ...] = ()
    http_allow_private: bool = False
    http_timeout_s: float = 60.0
    http_max_bytes: int = 20 * 1024**3
    scratch_dir: str = field(default_factory=lambda: os.environ.get("TMPDIR", "/tmp"))
    # Remote inputs are read in blocks of this size through a block cache in scratch_dir that never
    # grows past scratch_max_bytes (docs/data-path.md); a source larger than that still streams.
    scratch_max_bytes: int = 4 * 1024**3
    read_block_bytes: int = 4 * 1024**2  # the largest block; a source's is about 1/256 of it (blockcache.py)
    metrics_port: int = 0
    # This worker's stage: task time-limit maxima (s), scaled down by the work's length (time_limits.py);
    # both must stay below RabbitMQ's consumer_timeout or the broker closes the channel mid-task.
    task_soft_time_limit: float = 540.0
    task_time_limit: float = 600.0
    broker_consumer_timeout_s: float = 1800.0
    log_level: str = "INFO"
    # Split: a constant-frame-rate source longer than this (seconds) becomes range tasks of about
    # this length, cut at key frames (the split stage plans the ranges); 0: never.
    split_range_s: float = 300.0
    # Caption: the OpenAI-compatible server (e.g. the chart's vLLM) for a recipe whose openai
    # captioner names no base_url, so a recipe's id does not depend on where it runs.
    caption_base_url: str = ""

    ENV_PREFIX = "VIDSIFT_"

    def __post_init__(self) -> None:
        # Checked here, when the worker or run starts, not at its first remote input.
        if self.scratch_max_bytes < 2 * self.read_block_bytes:
            raise SettingsError(f"VIDSIFT_SCRATCH_MAX_BYTES={self.scratch_max_bytes} holds fewer than two "
                                f"VIDSIFT_READ_BLOCK_BYTES={self.read_block_bytes} blocks: raise the first or "
                                "lower the second")


_TUPLES = {"allowed_schemes", "file_roots"}


class SettingsError(ValueError):
    """A setting that cannot be used; the message names the variable (and the file it came from)."""


_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off", "")
_PORTS = {"metrics_port"}


def _coerce(name: str, raw: object, default: object) -> object:
    if name in _TUPLES:
        if isinstance(raw, str):
            return tuple(p.strip() for p in raw.split(",") if p.strip())
        if not isinstance(raw, (list, tuple)):
            raise ValueError("expected a comma-separated list")
        return tuple(str(v) for v in raw)
    if isinstance(default, bool):
        text = str(raw).strip().lower()
        if text not in _TRUE + _FALSE:
            raise ValueError("expected true or false (1/0, yes/no, on/off)")
        return text in _TRUE
    if isinstance(default, int):
        try:
            value = int(str(raw).strip())
        except ValueError:
            raise ValueError("not an integer") from None
        if value < 0 or (name in _PORTS and value > 65535):
            raise ValueError("out of range" + (" (0-65535)" if name in _PORTS else " (>= 0)"))
        return value
    if isinstance(default, float):
        try:
            value = float(str(raw).strip())
        except ValueError:
            raise ValueError("not a number") from None
        if value < 0:
            raise ValueError("out of range (>= 0)")
        return value
    return None if raw in ("", None) else str(raw)


def setting_names() -> list[str]:
    return [Settings.ENV_PREFIX + f.name.upper() for f in fields(Settings)]


def _read_file(path: str | os.PathLike) -> dict:
    try:
        data = yaml.safe_load(Path(path).read_text())
    except OSError as exc:
        raise SettingsError(f"config file {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise SettingsError(f"config file {path}: not valid YAML ({' '.join(str(exc).split())})") from None
    data = data or {}
    if not isinstance(data, dict):
        raise SettingsError(f"config file {path}: expected a mapping of VIDSIFT_* keys")
    known = setting_names()
    for key in data:
        if key not in known:
            close = difflib.get_close_matches(str(key), known, n=1)
            hint = f"; did you mean {close[0]}?" if close else f"; settings: {', '.join(known)}"
            raise SettingsError(f"config file {path}: unknown setting {key!r}{hint}")
    return data


def load_settings(config_file: str | os.PathLike | None = None, **overrides) -> Settings:
    """Read settings: defaults < config file < environment < explicit overrides."""
    path = config_file or os.environ.get("VIDSIFT_CONFIG")
    file_values = _read_file(path) if path else {}
    values = {}
    defaults = Settings()
    for f in fields(Settings):
        key = Settings.ENV_PREFIX + f.name.upper()
        from_env = key in os.environ
        raw = os.environ[key] if from_env else file_values.get(key)
        if raw is not None:
            try:
                values[f.name] = _coerce(f.name, raw, getattr(defaults, f.name))
            except ValueError as exc:
                where = "" if from_env else f" (in {path})"
                raise SettingsError(f"{key}={raw}{where}: {exc}") from None
    # AWS tooling reads its own variables (AWS_ACCESS_KEY_ID, ...); boto3 picks those up directly.
    if values.get("s3_endpoint_url") is None and os.environ.get("AWS_ENDPOINT_URL_S3"):
        values["s3_endpoint_url"] = os.environ["AWS_ENDPOINT_URL_S3"]
    values.update({k: v for k, v in overrides.items() if v is not None})
    return Settings(**values)
