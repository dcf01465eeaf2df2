"""Settings from ASKSHOW_* environment variables: one dataclass, read once."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from askshow.errors import SettingsError

DEFAULT_MODEL = "all-MiniLM-L6-v2"
REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


@dataclass(frozen=True)
class Settings:
    corpus_dir: Path = Path("corpus")
    """ASKSHOW_CORPUS_DIR: folder of articles (*.md, *.txt)."""
    index_dir: Path = Path("index")
    """ASKSHOW_INDEX_DIR: where generations, CURRENT and the embedding cache live."""
    golden_file: Path = Path("eval/golden.jsonl")
    """ASKSHOW_GOLDEN_FILE: golden questions for `askshow eval`."""
    model: str = DEFAULT_MODEL
    """ASKSHOW_MODEL: the bundled all-MiniLM-L6-v2, or a local sentence-transformers folder."""
    chunk_tokens: int = 200
    """ASKSHOW_CHUNK_TOKENS: chunk budget in cl100k tokens."""
    batch_size: int = 32
    """ASKSHOW_BATCH_SIZE: texts per model forward pass when embedding."""
    keep_generations: int = 3
    """ASKSHOW_KEEP_GENERATIONS: published generations kept on disk (the live one always)."""
    admin_token: str | None = field(default=None, repr=False)
    """ASKSHOW_ADMIN_TOKEN: bearer token for /api/admin/*; unset disables admin."""
    host: str = "127.0.0.1"
    """ASKSHOW_HOST: address `askshow serve` binds."""
    port: int = 8000
    """ASKSHOW_PORT: port `askshow serve` binds."""
    max_concurrency: int = 4
    """ASKSHOW_MAX_CONCURRENCY: questions answered at once; more wait in a short queue."""
    max_queue: int = 32
    """ASKSHOW_MAX_QUEUE: questions allowed to wait; beyond it the API answers 503."""
    request_timeout: float = 10.0
    """ASKSHOW_REQUEST_TIMEOUT: seconds one question may take before a 503."""
    rate_limit: int = 600
    """ASKSHOW_RATE_LIMIT: requests per minute per client; 0 disables."""
    cache_size: int = 1024
    """ASKSHOW_CACHE_SIZE: answers (and query vectors, twice as many) kept; 0 disables."""
    backend: str = "onnx"
    """ASKSHOW_BACKEND: "onnx" (ONNX Runtime and `tokenizers`, no torch; the model is exported
    once into the index cache, the only step that loads torch) or "torch"."""
    strategy: str = "ranked"
    """ASKSHOW_STRATEGY: how answers are chosen: "ranked" (learned ranker) or "rules"."""
    redis_url: str | None = None
    """ASKSHOW_REDIS_URL: Redis for state replicas share (rate-limit counts, cached answers),
    e.g. redis://127.0.0.1:6379/0; unset: counts in files under the index dir (one host) and
    answers cached per process."""
    ray_address: str | None = None
    """ASKSHOW_RAY_ADDRESS: `askshow index build` runs on Ray: "local" starts one for the build,
    else a cluster address ("auto", "ray://host:10001"); unset: one process (needs askshow[ray])."""
    ray_actors: int = 2
    """ASKSHOW_RAY_ACTORS: model actors embedding at once in a Ray build."""

    def with_overrides(self, **changes: object) -> Settings:
        """A copy with the given fields replaced; None values are ignored (unset CLI flags)."""
        given = {k: v for k, v in changes.items() if v is not None}
        return dataclasses.replace(self, **given)  # type: ignore[arg-type]


def _convert(name: str, raw: str, kind: type) -> object:
    try:
        if issubclass(kind, Path):
            return Path(raw)
        if kind is int:
            return int(raw)
        if kind is float:
            return float(raw)
    except ValueError:
        raise SettingsError(
            f"ASKSHOW_{name.upper()}={raw!r} is not a valid {kind.__name__}"
        ) from None
    return raw


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Read every ASKSHOW_* variable; an invalid value raises SettingsError naming it."""
    env = os.environ if environ is None else environ
    values: dict[str, object] = {}
    defaults = Settings()
    for f in dataclasses.fields(Settings):
        raw = env.get(f"ASKSHOW_{f.name.upper()}")
        if raw is None or raw == "":
            continue
        kind = type(getattr(defaults, f.name)) if getattr(defaults, f.name) is not None else str
        values[f.name] = _convert(f.name, raw, kind)
    settings = Settings(**values)  # type: ignore[arg-type]
    validate(settings)
    return settings


def validate(settings: Settings) -> None:
    """Stop early with a clear message instead of failing later in a worse place."""
    positive = (
        "chunk_tokens", "batch_size", "keep_generations", "max_concurrency", "port", "ray_actors",
    )  # fmt: skip
    for name in positive:
        if getattr(settings, name) < 1:
            raise SettingsError(f"ASKSHOW_{name.upper()} must be at least 1")
    if settings.chunk_tokens > 256:
        raise SettingsError("ASKSHOW_CHUNK_TOKENS must be at most 256 (the model's input limit)")
    if settings.rate_limit < 0 or settings.max_queue < 0 or settings.cache_size < 0:
        raise SettingsError(
            "ASKSHOW_RATE_LIMIT, ASKSHOW_MAX_QUEUE and ASKSHOW_CACHE_SIZE must not be negative"
        )
    if settings.backend not in ("onnx", "torch"):
        raise SettingsError(f"ASKSHOW_BACKEND={settings.backend!r} is not one of 'onnx', 'torch'")
    if settings.strategy not in ("ranked", "rules"):
        raise SettingsError(
            f"ASKSHOW_STRATEGY={settings.strategy!r} is not one of 'ranked', 'rules'"
        )
    if settings.redis_url is not None and not settings.redis_url.startswith(REDIS_SCHEMES):
        raise SettingsError(
            f"ASKSHOW_REDIS_URL={settings.redis_url!r} must start with one of {', '.join(REDIS_SCHEMES)}"
        )
    if settings.request_timeout <= 0:
        raise SettingsError("ASKSHOW_REQUEST_TIMEOUT must be positive")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once."""
    return load_settings()
