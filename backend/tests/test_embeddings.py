"""The embedders: real models from the installed packages (no network), OpenAI through a mock
transport on the SDK's own HTTP client."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx2
import numpy as np
import openai
import pytest
import structlog

from contactcenter.core.config import EmbeddingProvider, EmbeddingSettings
from contactcenter.embeddings import (
    Embedder,
    EmbedderUnavailable,
    EmbeddingFailed,
    Passage,
    build_embedder,
)
from contactcenter.embeddings import offline as minilm_module
from contactcenter.embeddings.fastembed import FastEmbedEmbedder
from contactcenter.embeddings.offline import MiniLMEmbedder, onnx_cache_folder, packaged_model_dir
from contactcenter.embeddings.openai import OpenAIEmbedder
from contactcenter.embeddings.wordllama import (
    TOKENIZER_FILE,
    WEIGHTS_FILE,
    WordLlamaEmbedder,
    packaged_dir,
)

DATA = Path(__file__).parent / "data" / "embeddings"
API_KEY = "sk-test-" + "k3y" * 12

HOURS = Passage(
    "Opening hours",
    "The pharmacy is open Monday to Friday from 8 am to 8 pm and on Saturdays from 9 am to "
    "1 pm. On public holidays the counter is closed, but the night service next door can fill "
    "urgent prescriptions. You can always order online and collect your order the next day.",
)
DELIVERY = Passage(
    "Delivery",
    "Orders placed before noon on a working day leave the same afternoon and usually arrive "
    "the next working day. Delivery is free above 40 euros; below that it costs 4.90 euros. "
    "Refrigerated medicines travel in insulated boxes and need someone at home to sign.",
)
LONG = Passage("Returns", " ".join(["Unopened items can be returned within thirty days."] * 40))


def cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.asarray(
        np.sum(a * b, axis=-1) / (np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1))
    )


def unit(v: np.ndarray) -> np.ndarray:
    return np.asarray(v / np.linalg.norm(v))


def assert_unit_float32(vectors: np.ndarray, shape: tuple[int, ...]) -> None:
    assert vectors.shape == shape
    assert vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=-1), 1.0, atol=1e-5)


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[object]]:
    """Every socket connect and name lookup fails; the attempts are listed and must stay none."""
    attempts: list[object] = []

    def refuse(*args: object, **kwargs: object) -> Any:
        attempts.append(args)
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    yield attempts


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The offline model's cache folder: the ONNX export is made once per session, here."""
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="module")
def minilm(model_cache: Path) -> Embedder:
    """The default embedder (onnxruntime) through the process cache: loaded once; the first
    build exports the model into `model_cache`."""
    settings = EmbeddingSettings(
        provider=EmbeddingProvider.offline, batch_size=32, cache_dir=model_cache
    )
    return build_embedder(settings)


@pytest.fixture(scope="module")
def minilm_torch(model_cache: Path) -> Embedder:
    """The same model on torch (EMBEDDING_RUNTIME=torch)."""
    settings = EmbeddingSettings(
        provider=EmbeddingProvider.offline, batch_size=32, cache_dir=model_cache, runtime="torch"
    )
    return build_embedder(settings)


@pytest.fixture(scope="module")
def light() -> Embedder:
    return build_embedder(EmbeddingSettings(provider=EmbeddingProvider.wordllama, batch_size=32))


# --- offline: all-MiniLM-L6-v2 ---------------------------------------------------------------


@pytest.mark.parametrize("runtime", ["onnx", "torch"])
def test_offline_matches_sentence_transformers_at_128_word_pieces(
    runtime: str, request: pytest.FixtureRequest
) -> None:
    # reference from sentence-transformers (max_seq_length=128); one text is 228 word pieces
    minilm: Embedder = request.getfixturevalue("minilm" if runtime == "onnx" else "minilm_torch")
    assert minilm.runtime == runtime  # type: ignore[attr-defined]
    reference = json.loads((DATA / "minilm_reference.json").read_text())
    expected = np.asarray(reference["vectors"], dtype=np.float32)
    batch = minilm.embed_passages([Passage("", text) for text in reference["texts"]])
    one_by_one = np.stack([minilm.embed_query(text) for text in reference["texts"]])
    assert np.all(cosine(batch, expected) > 0.99999)
    assert np.all(cosine(one_by_one, expected) > 0.99999)


def test_offline_vectors_are_unit_float32_and_deterministic(minilm: Embedder) -> None:
    assert minilm.info.model_id == "all-minilm-l6-v2@53aa5117"
    assert (minilm.info.dim, minilm.info.provider) == (384, "offline")
    first = minilm.embed_passages([HOURS, DELIVERY, LONG])
    assert_unit_float32(first, (3, 384))
    assert np.array_equal(first, minilm.embed_passages([HOURS, DELIVERY, LONG]))
    query = minilm.embed_query("When do you open on Saturday?")
    assert_unit_float32(query, (384,))
    assert minilm.embed_passages([]).shape == (0, 384)


def test_offline_paraphrases_score_above_unrelated_text(minilm: Embedder) -> None:
    question = minilm.embed_query("How long does shipping take?")
    paraphrase = minilm.embed_query("When will my parcel be delivered?")
    unrelated = minilm.embed_query("Can I get a flu vaccination without an appointment?")
    assert float(question @ paraphrase) > float(question @ unrelated) + 0.2
    docs = minilm.embed_passages([HOURS, DELIVERY])
    assert int(np.argmax(docs @ question)) == 1


def test_offline_passage_is_normalised_sum_of_titled_text_and_title(minilm: Embedder) -> None:
    titled = minilm.embed_query(f"{HOURS.title}: {HOURS.text}")
    title = minilm.embed_query(HOURS.title)
    expected = unit(titled + title)
    stored = minilm.embed_passages([HOURS, Passage("  ", HOURS.text)])
    assert np.allclose(stored[0], expected, atol=1e-5)
    assert not np.allclose(stored[0], titled, atol=1e-2)
    # a blank title: the text alone, no mix
    assert np.allclose(stored[1], minilm.embed_query(HOURS.text), atol=1e-5)


def test_offline_encodes_each_title_once_per_call(
    minilm: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []
    encode_batch = minilm._encode_batch  # type: ignore[attr-defined]

    def spy(texts: list[str]) -> np.ndarray:
        seen.extend(texts)
        return encode_batch(texts)  # type: ignore[no-any-return]

    monkeypatch.setattr(minilm, "_encode_batch", spy)
    chunks = [Passage("Delivery", f"Part {i} of the delivery terms.") for i in range(5)]
    minilm.embed_passages(chunks)
    expected = [f"Delivery: Part {i} of the delivery terms." for i in range(5)] + ["Delivery"]
    assert sorted(seen) == sorted(expected)


def test_offline_keeps_input_order_across_batches_of_mixed_length(model_cache: Path) -> None:
    embedder = MiniLMEmbedder(batch_size=2, cache_dir=model_cache)
    texts = ["short", LONG.text, "a question of medium length?", DELIVERY.text, "ok", HOURS.text]
    batched = embedder.embed_passages([Passage("", t) for t in texts])
    single = np.stack([embedder.embed_query(t) for t in texts])
    assert np.all(cosine(batched, single) > 0.99999)


def test_offline_refuses_weights_that_fail_their_checksum(tmp_path: Path) -> None:
    source = packaged_model_dir()
    for item in source.iterdir():
        if item.name != "model.safetensors":
            (tmp_path / item.name).symlink_to(item)
    weights = tmp_path / "model.safetensors"
    shutil.copyfile(source / "model.safetensors", weights)
    with weights.open("r+b") as f:
        f.seek(50_000_000)
        byte = f.read(1)
        f.seek(50_000_000)
        f.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(EmbedderUnavailable, match=r"sha256 .* expected 53aa5117.*reinstall"):
        MiniLMEmbedder(model_dir=tmp_path)
    weights.unlink()
    with pytest.raises(EmbedderUnavailable, match="not found"):
        MiniLMEmbedder(model_dir=tmp_path)


def test_offline_loads_and_embeds_with_the_network_blocked(
    minilm: Embedder, model_cache: Path, no_network: list[object]
) -> None:
    embedder = MiniLMEmbedder(batch_size=8, cache_dir=model_cache)
    query = embedder.embed_query("Do you deliver on Saturdays?")
    assert np.allclose(query, minilm.embed_query("Do you deliver on Saturdays?"), atol=1e-6)
    assert no_network == []


def reference_passages() -> list[Passage]:
    """The reference texts (one beyond 128 word pieces) with a shared title, an own title and
    none, plus the module's passages: batches with padding, truncation and the title mix."""
    texts = json.loads((DATA / "minilm_reference.json").read_text())["texts"]
    titles = ["Opening hours", "", "Opening hours", "Side effects"]
    return [Passage(t, x) for t, x in zip(titles, texts, strict=True)] + [HOURS, DELIVERY, LONG]


def test_offline_onnx_vectors_equal_the_torch_path(
    minilm: Embedder, minilm_torch: Embedder
) -> None:
    assert (minilm.runtime, minilm_torch.runtime) == ("onnx", "torch")  # type: ignore[attr-defined]
    assert minilm.info == minilm_torch.info
    passages = reference_passages()
    onnx_rows, torch_rows = minilm.embed_passages(passages), minilm_torch.embed_passages(passages)
    assert_unit_float32(onnx_rows, (len(passages), 384))
    assert float(np.max(np.abs(onnx_rows - torch_rows))) < 1e-5
    for text in [p.text for p in passages] + ["When do you open on Saturday?", "ok"]:
        assert (
            float(np.max(np.abs(minilm.embed_query(text) - minilm_torch.embed_query(text)))) < 1e-5
        )


def test_offline_onnx_export_is_cached_with_its_checksum(
    minilm: Embedder, model_cache: Path
) -> None:
    folder = onnx_cache_folder(model_cache)
    assert folder.name == "all-minilm-l6-v2-53aa51172d142c89-onnx17"
    meta = json.loads((folder / "model.onnx.json").read_text())
    assert meta["sha256"] == hashlib.sha256((folder / "model.onnx").read_bytes()).hexdigest()
    assert meta["source_sha256"] == minilm_module.MODEL_SHA256
    assert meta["onnxruntime"] and meta["torch"] and meta["opset"] == 17
    assert not [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]


CHILD = """
import json, sys
from pathlib import Path
from contactcenter.core.config import EmbeddingSettings
from contactcenter.embeddings import build_embedder
embedder = build_embedder(EmbeddingSettings(cache_dir=Path(sys.argv[1])))
vector = embedder.embed_query(sys.argv[2])
assert "torch" not in sys.modules, "torch was imported"
assert "transformers" not in sys.modules, "transformers was imported"
print(json.dumps({"runtime": embedder.runtime, "vector": vector.tolist()}))
"""


def test_offline_warm_cache_loads_without_torch_in_a_fresh_process(
    minilm: Embedder, model_cache: Path
) -> None:
    folder = onnx_cache_folder(model_cache)
    before = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    question = "Do you deliver on Saturdays?"
    child = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", CHILD, str(model_cache), question],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert child.returncode == 0, child.stderr
    answer = json.loads(child.stdout.strip().splitlines()[-1])
    assert answer["runtime"] == "onnx"
    assert np.allclose(answer["vector"], minilm.embed_query(question), atol=1e-6)
    assert {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} == before  # not re-exported


def test_offline_tampered_onnx_cache_is_detected_and_exported_again(
    minilm_torch: Embedder, model_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = onnx_cache_folder(model_cache)
    folder = onnx_cache_folder(tmp_path)
    shutil.copytree(source, folder)
    model = folder / "model.onnx"
    data = bytearray(model.read_bytes())
    for offset in (len(data) // 2, len(data) // 2 + 1, len(data) - 100):
        data[offset] ^= 0xFF  # inside the weights: onnxruntime would load it without a word
    model.write_bytes(bytes(data))
    events = structlog.testing.CapturingLogger()
    monkeypatch.setattr(minilm_module, "log", events)

    embedder = MiniLMEmbedder(cache_dir=tmp_path)

    assert embedder.runtime == "onnx"
    assert [c.args[0] for c in events.calls] == [
        "embeddings.minilm.onnx_cache_invalid",
        "embeddings.minilm.onnx_export",
    ]
    assert model.read_bytes() == (source / "model.onnx").read_bytes()  # the export is repeatable
    passages = reference_passages()
    rows, expected = embedder.embed_passages(passages), minilm_torch.embed_passages(passages)
    assert float(np.max(np.abs(rows - expected))) < 1e-5


def test_offline_falls_back_to_torch_when_onnxruntime_fails(
    minilm_torch: Embedder, model_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import onnxruntime  # type: ignore[import-untyped]

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("no onnxruntime today")

    monkeypatch.setattr(onnxruntime, "InferenceSession", broken)
    events = structlog.testing.CapturingLogger()
    monkeypatch.setattr(minilm_module, "log", events)

    embedder = MiniLMEmbedder(cache_dir=model_cache)

    assert embedder.runtime == "torch"
    assert embedder.info == minilm_torch.info
    (call,) = events.calls
    assert (call.method_name, call.args[0]) == ("warning", "embeddings.minilm.onnx_unavailable")
    assert "no onnxruntime today" in call.kwargs["error"]
    passages = reference_passages()
    rows = embedder.embed_passages(passages)
    assert float(np.max(np.abs(rows - minilm_torch.embed_passages(passages)))) < 1e-6


def test_offline_export_failure_falls_back_to_torch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "models").write_text("a file where the cache folder should be")
    events = structlog.testing.CapturingLogger()
    monkeypatch.setattr(minilm_module, "log", events)
    embedder = MiniLMEmbedder(cache_dir=tmp_path / "models")
    assert embedder.runtime == "torch"
    assert [c.args[0] for c in events.calls] == ["embeddings.minilm.onnx_unavailable"]
    assert_unit_float32(embedder.embed_query("When do you open?"), (384,))


def test_offline_concurrent_builds_export_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Builders racing on an empty cache: the file lock lets one export, the others load it."""
    exports: list[int] = []

    def slow_export(folder: Path, model_file: Path, sidecar: Path) -> np.ndarray:
        exports.append(threading.get_ident())
        time.sleep(0.3)
        data = os.urandom(1000)
        model_file.write_bytes(data)
        meta = {
            "sha256": hashlib.sha256(data).hexdigest(),
            "source_sha256": minilm_module.MODEL_SHA256,
        }
        sidecar.write_text(json.dumps(meta))
        return np.zeros((2, 384), dtype=np.float32)

    monkeypatch.setattr(minilm_module, "_export", slow_export)
    results: list[bytes] = []

    def build() -> None:
        results.append(minilm_module._cached_export(packaged_model_dir(), tmp_path)[0])

    threads = [threading.Thread(target=build) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(exports) == 1
    assert len(results) == 4 and len(set(results)) == 1


def test_offline_onnx_queries_are_thread_safe(minilm: Embedder) -> None:
    texts = [p.text for p in reference_passages()] + [f"question number {i}?" for i in range(12)]
    serial = {text: minilm.embed_query(text) for text in texts}
    failures: list[str] = []

    def ask(offset: int) -> None:
        for i in range(len(texts)):
            text = texts[(i + offset) % len(texts)]
            if not np.allclose(minilm.embed_query(text), serial[text], atol=1e-6):
                failures.append(text)
        minilm.embed_passages([HOURS, DELIVERY])

    threads = [threading.Thread(target=ask, args=(k,)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


# --- wordllama ---------------------------------------------------------------------------------


def test_wordllama_loads_offline_with_unit_256d_vectors(no_network: list[object]) -> None:
    embedder = WordLlamaEmbedder()
    assert embedder.info.model_id == "wordllama-l2-supercat-256@64b47a2d"
    assert (embedder.info.dim, embedder.info.provider) == (256, "wordllama")
    assert_unit_float32(embedder.embed_passages([HOURS, DELIVERY, LONG]), (3, 256))
    assert_unit_float32(embedder.embed_query("When do you open?"), (256,))
    assert no_network == []


def test_wordllama_matches_the_library_loader(light: Embedder) -> None:
    import wordllama  # type: ignore[import-untyped]

    library = wordllama.WordLlama.load(
        cache_dir=Path(wordllama.__file__).parent, disable_download=True
    )
    texts = ["When do you open on Saturday?", HOURS.text, "pharmacy"]
    expected = library.embed(texts, norm=True)
    ours = np.stack([light.embed_query(t) for t in texts])
    assert np.all(cosine(ours, expected) > 0.99999)


def test_wordllama_mixes_the_title_with_the_opening_100_words(light: Embedder) -> None:
    words = LONG.text.split()
    stored = light.embed_passages([LONG])[0]
    opening = light.embed_query(f"{LONG.title}: {' '.join(words[:100])}")
    expected = unit(opening + light.embed_query(LONG.title))
    assert len(words) > 100
    assert np.allclose(stored, expected, atol=1e-5)


def test_wordllama_refuses_weights_that_fail_their_checksum(tmp_path: Path) -> None:
    source = packaged_dir()
    for name in (WEIGHTS_FILE, TOKENIZER_FILE):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / name, tmp_path / name)
    data = bytearray((tmp_path / WEIGHTS_FILE).read_bytes())
    data[-1000] ^= 0x01
    (tmp_path / WEIGHTS_FILE).write_bytes(bytes(data))
    with pytest.raises(EmbedderUnavailable, match=r"sha256 .* expected 64b47a2d"):
        WordLlamaEmbedder(package_dir=tmp_path)


# --- fastembed ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def minilm_onnx(
    minilm: Embedder, model_cache: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The offline embedder's ONNX export (the session's cache) with the packaged tokenizer
    files, laid out as FastEmbed expects for sentence-transformers/all-MiniLM-L6-v2 (read at 128
    word pieces)."""
    source = packaged_model_dir()
    folder = tmp_path_factory.mktemp("minilm-onnx")
    (folder / "model.onnx").symlink_to(onnx_cache_folder(model_cache) / "model.onnx")
    for name in ("tokenizer.json", "vocab.txt", "special_tokens_map.json", "config.json"):
        shutil.copyfile(source / name, folder / name)
    tokenizer_config = json.loads((source / "tokenizer_config.json").read_text())
    tokenizer_config["model_max_length"] = 128
    (folder / "tokenizer_config.json").write_text(json.dumps(tokenizer_config))
    return folder


def test_fastembed_on_exported_minilm_matches_the_offline_embedder(
    minilm: Embedder, minilm_onnx: Path, tmp_path: Path, no_network: list[object]
) -> None:
    settings = EmbeddingSettings(
        provider=EmbeddingProvider.fastembed,
        model="sentence-transformers/all-MiniLM-L6-v2",
        fastembed_model_path=minilm_onnx,
        fastembed_cache_dir=tmp_path,
        batch_size=2,
    )
    embedder = build_embedder(settings)
    assert isinstance(embedder, FastEmbedEmbedder)
    assert embedder.info.model_id == "fastembed:sentence-transformers/all-MiniLM-L6-v2"
    assert (embedder.info.dim, embedder.info.provider) == (384, "fastembed")
    passages = [HOURS, Passage("", DELIVERY.text), LONG]
    ours = embedder.embed_passages(passages)
    assert_unit_float32(ours, (3, 384))
    assert np.all(cosine(ours, minilm.embed_passages(passages)) > 0.9999)
    question = "Is the pharmacy open on Saturday?"
    assert cosine(embedder.embed_query(question), minilm.embed_query(question)) > 0.9999
    assert no_network == []


def test_fastembed_without_a_local_model_or_network_fails_fast(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_network: list[object]
) -> None:
    for name in ("HF_HUB_OFFLINE", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    started = time.monotonic()
    with pytest.raises(EmbedderUnavailable, match="EMBEDDING_FASTEMBED_MODEL_PATH"):
        FastEmbedEmbedder(cache_dir=tmp_path)
    assert time.monotonic() - started < 5
    assert len(no_network) == 1  # the one probe of the hub, nothing from FastEmbed itself


def test_fastembed_rejects_unknown_models_and_missing_folders(tmp_path: Path) -> None:
    with pytest.raises(EmbedderUnavailable, match="does not know the model"):
        FastEmbedEmbedder(model="no-such/model", cache_dir=tmp_path)
    folder = tmp_path / "bge"
    with pytest.raises(EmbedderUnavailable, match=r"lacks model_optimized\.onnx, tokenizer\.json"):
        FastEmbedEmbedder(cache_dir=tmp_path, model_path=folder)
    folder.mkdir()
    for name in ("model_optimized.onnx", "tokenizer.json", "tokenizer_config.json"):
        (folder / name).write_text("{}")
    with pytest.raises(EmbedderUnavailable, match=r"could not load BAAI/bge-small-en-v1\.5"):
        FastEmbedEmbedder(cache_dir=tmp_path, model_path=folder)


# --- openai --------------------------------------------------------------------------------------


Handler = Callable[[httpx2.Request], httpx2.Response]


def openai_embedder(handler: Handler, **options: Any) -> OpenAIEmbedder:
    client = openai.DefaultHttpxClient(transport=httpx2.MockTransport(handler))
    return OpenAIEmbedder(api_key=API_KEY, http_client=client, **options)


def embeddings_response(body: dict[str, Any], vectors: list[list[float]]) -> httpx2.Response:
    """The API's answer: base64 floats when asked for (the SDK's default), items out of order."""
    items = []
    for index, vector in enumerate(vectors):
        if body.get("encoding_format") == "base64":
            encoded: Any = base64.b64encode(np.asarray(vector, dtype="<f4").tobytes()).decode()
        else:
            encoded = vector
        items.append({"object": "embedding", "index": index, "embedding": encoded})
    return httpx2.Response(
        200,
        json={
            "object": "list",
            "data": items[::-1],
            "model": body["model"],
            "usage": {"prompt_tokens": 3, "total_tokens": 3},
        },
    )


def vector_for(text: str, dim: int) -> list[float]:
    """A distinct, unnormalised vector per text, so rows can be traced back to inputs."""
    rng = np.random.default_rng(sum(text.encode()))
    return [float(x) for x in rng.normal(size=dim) * 3.0]


def test_openai_sends_batched_requests_and_orders_rows_by_index() -> None:
    requests: list[httpx2.Request] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        requests.append(request)
        body = json.loads(request.content)
        return embeddings_response(body, [vector_for(t, 8) for t in body["input"]])

    embedder = openai_embedder(handler, dimensions=8, batch_size=2)
    assert embedder.info.model_id == "openai:text-embedding-3-small:8"
    assert (embedder.info.dim, embedder.info.provider) == (8, "openai")
    passages = [HOURS, DELIVERY, Passage("", "no title"), LONG, Passage("Fees", "4.90 euros")]
    vectors = embedder.embed_passages(passages)

    assert len(requests) == 3
    sent = [json.loads(r.content) for r in requests]
    for request, body in zip(requests, sent, strict=True):
        assert request.method == "POST"
        assert request.url.path == "/v1/embeddings"
        assert request.headers["authorization"] == f"Bearer {API_KEY}"
        assert body["model"] == "text-embedding-3-small"
        assert body["dimensions"] == 8
    inputs = [text for body in sent for text in body["input"]]
    assert [len(body["input"]) for body in sent] == [2, 2, 1]
    assert inputs[0] == f"{HOURS.title}\n\n{HOURS.text}"
    assert inputs[2] == "no title"
    expected = np.asarray([unit(np.asarray(vector_for(t, 8))) for t in inputs], dtype=np.float32)
    assert_unit_float32(vectors, (5, 8))
    assert np.allclose(vectors, expected, atol=1e-6)

    query = embedder.embed_query("Do you deliver?")
    assert_unit_float32(query, (8,))
    assert np.allclose(query, unit(np.asarray(vector_for("Do you deliver?", 8))), atol=1e-6)


def test_openai_default_model_sends_no_dimensions_and_knows_its_size() -> None:
    bodies: list[dict[str, Any]] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        body = json.loads(request.content)
        bodies.append(body)
        return embeddings_response(body, [vector_for(t, 1536) for t in body["input"]])

    embedder = openai_embedder(handler)
    assert (embedder.info.model_id, embedder.info.dim) == ("openai:text-embedding-3-small", 1536)
    assert bodies == []  # a known model needs no probe
    embedder.embed_query("hello")
    assert "dimensions" not in bodies[0]


def test_openai_unknown_model_learns_its_size_from_one_probe() -> None:
    calls: list[str] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        calls.append(str(request.url))
        body = json.loads(request.content)
        return embeddings_response(body, [vector_for(t, 12) for t in body["input"]])

    embedder = openai_embedder(handler, model="nomic-embed-text", base_url="http://models.local/v1")
    assert (embedder.info.model_id, embedder.info.dim) == ("openai:nomic-embed-text", 12)
    assert calls == ["http://models.local/v1/embeddings"]


def test_openai_rejected_key_is_unavailable_without_the_key_in_the_message() -> None:
    calls = 0

    def handler(request: httpx2.Request) -> httpx2.Response:
        nonlocal calls
        calls += 1
        message = f"Incorrect API key provided: {API_KEY}."
        return httpx2.Response(
            401,
            headers={"x-request-id": "req_123"},
            json={"error": {"message": message, "type": "invalid_request_error"}},
        )

    embedder = openai_embedder(handler)
    with pytest.raises(EmbedderUnavailable, match="OpenAI rejected the API key") as caught:
        embedder.embed_query("hello")
    assert API_KEY not in str(caught.value)
    assert "req_123" in str(caught.value)
    assert caught.value.__cause__ is None
    assert calls == 1  # a 401 is not retried


def test_openai_retries_a_server_error_then_succeeds() -> None:
    statuses: list[int] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        body = json.loads(request.content)
        if not statuses:
            statuses.append(500)
            return httpx2.Response(500, headers={"retry-after-ms": "1"}, json={"error": {}})
        statuses.append(200)
        return embeddings_response(body, [vector_for(t, 1536) for t in body["input"]])

    vector = openai_embedder(handler).embed_query("hello")
    assert statuses == [500, 200]
    assert_unit_float32(vector, (1536,))


def test_openai_gives_up_after_two_retries_with_a_retryable_error() -> None:
    calls = 0

    def handler(request: httpx2.Request) -> httpx2.Response:
        nonlocal calls
        calls += 1
        return httpx2.Response(
            429,
            headers={"retry-after-ms": "1"},
            json={"error": {"message": "Rate limit reached", "type": "requests"}},
        )

    with pytest.raises(EmbeddingFailed, match="HTTP 429") as caught:
        openai_embedder(handler).embed_query("hello")
    assert (caught.value.retryable, caught.value.status_code) == (True, 429)
    assert calls == 3


def test_openai_bad_request_is_not_retried_and_never_shows_the_key() -> None:
    calls = 0

    def handler(request: httpx2.Request) -> httpx2.Response:
        nonlocal calls
        calls += 1
        message = f"input too long (key {API_KEY})"
        return httpx2.Response(400, json={"error": {"message": message, "type": "invalid"}})

    with pytest.raises(EmbeddingFailed, match=r"HTTP 400.*input too long") as caught:
        openai_embedder(handler).embed_query("hello")
    assert API_KEY not in str(caught.value)
    assert caught.value.__cause__ is None
    assert caught.value.retryable is False
    assert calls == 1


def test_openai_without_a_key_is_unavailable() -> None:
    settings = EmbeddingSettings(provider=EmbeddingProvider.openai, openai_api_key=None)
    with pytest.raises(EmbedderUnavailable, match="OPENAI_API_KEY"):
        build_embedder(settings)


# --- build_embedder ------------------------------------------------------------------------------


def test_build_embedder_picks_by_provider_and_caches(
    minilm: Embedder, minilm_torch: Embedder, light: Embedder, model_cache: Path
) -> None:
    offline = EmbeddingSettings(
        provider=EmbeddingProvider.offline, batch_size=32, cache_dir=model_cache
    )
    assert isinstance(minilm, MiniLMEmbedder)
    assert build_embedder(offline.model_copy(update={"runtime": "torch"})) is minilm_torch
    assert minilm_torch is not minilm
    assert isinstance(light, WordLlamaEmbedder)
    assert build_embedder(offline) is minilm
    # the knowledge index switches providers with model_copy, which leaves a plain string
    as_text = offline.model_copy(update={"provider": "offline", "model": None})
    assert build_embedder(as_text) is minilm
    wordllama = EmbeddingSettings(provider=EmbeddingProvider.wordllama, batch_size=32)
    assert build_embedder(wordllama) is light
    smaller_batches = build_embedder(wordllama.model_copy(update={"batch_size": 4}))
    assert smaller_batches is not light
    assert isinstance(smaller_batches, WordLlamaEmbedder)


def test_build_embedder_rejects_an_unknown_provider() -> None:
    settings = EmbeddingSettings().model_copy(update={"provider": "word2vec"})
    with pytest.raises(EmbedderUnavailable, match="unknown EMBEDDING_PROVIDER 'word2vec'"):
        build_embedder(settings)
