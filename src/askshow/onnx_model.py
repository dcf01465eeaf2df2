"""The sentence-transformer run in ONNX Runtime: exported once, verified, encoded without torch."""

from __future__ import annotations

import fcntl
import json
import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from askshow.errors import SettingsError

ONNX_MIN_COSINE = 0.999
"""An exported model whose vectors differ more than this from torch's is not used."""
INTRA_OP_THREADS = 2
"""ONNX Runtime threads per forward pass. eval/bench_encode.py on this shared 2-core machine:
two threads that sleep when idle matched one thread's CPU per question and embedded batches
~35% faster; two spinning threads cost twice the CPU per question and were slower."""
SPINNING = False
"""Whether idle ONNX Runtime threads spin for the next piece of work instead of sleeping:
spinning burns the core the answer path and other requests need (see INTRA_OP_THREADS)."""
_REFERENCE_TEXTS = (
    "When does Stranger Things season 5 come out?",
    "Friday, October 25, 2024, on Netflix.",
    "Millie Bobby Brown plays Eleven, Finn Wolfhard plays Mike Wheeler.",
    "Season 2 picks up two years after the finale, and the sisters are hiding a secret.",
    "Read More:- Ginny & Georgia Season 3 release date",
    "Nam-ra (Cho Yi-hyun) survives as a hybrid zombie.",
)


def _read_json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text()) if path.is_file() else {}


class OnnxEncoder:
    """Texts -> L2-normalized mean-pooled vectors, as the model's sentence-transformers
    pipeline computes them (Transformer -> mean Pooling -> Normalize), with `tokenizers` and an
    ONNX Runtime session only: neither torch nor transformers is imported.

    Each call pads only to the longest text of its batch; texts are batched by length, so a
    lone question is never padded at all."""

    def __init__(
        self, onnx_file: Path, model_dir: Path, batch_size: int = 32,
        threads: int = INTRA_OP_THREADS, spinning: bool = SPINNING,
    ) -> None:  # fmt: skip
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.batch_size = batch_size
        self.max_seq_length = _max_seq_length(model_dir)
        _check_pipeline(model_dir)
        tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        # The file pads every text to 128 and cuts it there; the model reads up to
        # max_seq_length word pieces (special tokens included), as sentence-transformers does.
        tokenizer.enable_truncation(max_length=self.max_seq_length, strategy="longest_first")
        pad = (tokenizer.padding or {}).get("pad_token", "[PAD]")
        tokenizer.enable_padding(pad_id=tokenizer.token_to_id(pad) or 0, pad_token=pad)
        self.tokenizer = tokenizer

        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL  # one chain of matmuls
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", str(int(spinning)))
        options.log_severity_level = 3  # no warnings about unused initializers on stderr
        self.session = ort.InferenceSession(
            str(onnx_file), options, providers=["CPUExecutionProvider"]
        )
        self._inputs = {i.name for i in self.session.get_inputs()}
        self.dimension = int(self.session.get_outputs()[0].shape[-1])

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        # Similar lengths share a batch, so little is padded (sentence-transformers sorts too).
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        vectors = np.empty((len(texts), self.dimension), dtype=np.float32)
        for start in range(0, len(order), self.batch_size):
            rows = order[start : start + self.batch_size]
            vectors[rows] = self._forward([texts[i] for i in rows])
        return vectors

    def _forward(self, texts: list[str]) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(texts)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {
            "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
            "attention_mask": mask,
            "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
        }
        hidden = self.session.run(None, {k: v for k, v in feeds.items() if k in self._inputs})[0]
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        norms = np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return (pooled / norms).astype(np.float32)


def _max_seq_length(model_dir: Path) -> int:
    """sentence-transformers' limit: its config's max_seq_length, capped by the tokenizer's and
    the model's own."""
    limits = [
        _read_json(model_dir / "sentence_bert_config.json").get("max_seq_length"),
        _read_json(model_dir / "tokenizer_config.json").get("model_max_length"),
        _read_json(model_dir / "config.json").get("max_position_embeddings"),
    ]
    known = [int(n) for n in limits if isinstance(n, int | float) and 0 < n < 10**6]
    return min(known) if known else 512


def _check_pipeline(model_dir: Path) -> None:
    """Refuse a model whose pipeline is not Transformer -> mean Pooling [-> Normalize]: the
    direct encoder computes exactly that, and nothing else would be a faithful copy."""
    modules = json.loads((model_dir / "modules.json").read_text())
    kinds = [m["type"].rsplit(".", 1)[-1] for m in modules]
    pooling = _read_json(model_dir / "1_Pooling" / "config.json")
    modes = {k for k, v in pooling.items() if k.startswith("pooling_mode") and v}
    if (
        kinds[:2] != ["Transformer", "Pooling"]
        or kinds[2:] not in ([], ["Normalize"])
        or modes != {"pooling_mode_mean_tokens"}
    ):
        raise SettingsError(
            f"the model in {model_dir} is not Transformer -> mean Pooling -> Normalize "
            f"({', '.join(kinds)}; {', '.join(sorted(modes))}); use ASKSHOW_BACKEND=torch"
        )


def export_onnx(model_dir: Path, target: Path) -> Path:
    """The ONNX export of a sentence-transformers folder, made once and verified: its vectors
    through OnnxEncoder must match the torch model's (cosine >= 0.999) on reference texts,
    else it is refused. Only making the export imports torch."""
    if (target / "onnx" / "model.onnx").is_file() and (target / "verified.json").is_file():
        return target
    import shutil

    target.parent.mkdir(parents=True, exist_ok=True)
    # One export at a time per folder; holding the lock, any ".onnx-*" folder is the leftover
    # of an export that was killed (its `finally` never ran), so it goes before a new one.
    with open(target.parent / ".onnx.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (target / "onnx" / "model.onnx").is_file() and (target / "verified.json").is_file():
            return target  # another process exported it while this one waited
        for stale in target.parent.glob(".onnx-*"):
            shutil.rmtree(stale, ignore_errors=True)
        return _export(model_dir, target)


def _export(model_dir: Path, target: Path) -> Path:
    import shutil
    import tempfile

    from sentence_transformers import SentenceTransformer

    work = Path(tempfile.mkdtemp(prefix=".onnx-", dir=target.parent)) / "model"
    try:
        shutil.copytree(model_dir, work, ignore=shutil.ignore_patterns("onnx", "*.onnx"))
        with warnings.catch_warnings():  # the exporter's tracing warnings mean nothing here
            warnings.simplefilter("ignore")
            exported = SentenceTransformer(str(work), device="cpu", backend="onnx")
        exported.save_pretrained(str(work))
        del exported
        reference = SentenceTransformer(str(model_dir), device="cpu")
        texts = list(_REFERENCE_TEXTS)
        direct = OnnxEncoder(work / "onnx" / "model.onnx", model_dir)
        cosine = np.sum(
            direct.encode(texts) * reference.encode(texts, normalize_embeddings=True), axis=1
        )
        if float(cosine.min()) < ONNX_MIN_COSINE:
            raise SettingsError(
                f"the ONNX export of {model_dir} differs from the torch model (cosine "
                f"{float(cosine.min()):.4f} < {ONNX_MIN_COSINE}); use ASKSHOW_BACKEND=torch"
            )
        (work / "verified.json").write_text(json.dumps({"min_cosine": float(cosine.min())}))
        if not target.exists():
            os.replace(work, target)
    finally:
        shutil.rmtree(work.parent, ignore_errors=True)
    return target
