"""One contract for both vector stores: Qdrant Edge on a temporary folder, and the server adapter
on qdrant-client's local mode (``QdrantClient(path=...)``) as the Qdrant-server stand-in.

Vectors are built by hand (dim 8) so that cosines, and therefore rankings, are known exactly.
"""

from __future__ import annotations

import math
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import qdrant_edge as qedge
from qdrant_client import QdrantClient
from qdrant_client import models as qmodels

from contactcenter.core.config import QdrantSettings, Settings
from contactcenter.vectorstore import build_vector_store
from contactcenter.vectorstore.base import (
    ChunkPoint,
    CollectionSpec,
    FusionParams,
    ScoredChunk,
    SearchQuery,
    VectorStore,
)
from contactcenter.vectorstore.common import (
    CollectionExists,
    CollectionNotFound,
    InvalidCollectionName,
    RawHit,
    StoreClosed,
    StoreLocked,
    TenantScope,
    edge_filter,
    fuse,
    minmax,
    server_filter,
    sparse_document,
    sparse_query,
)
from contactcenter.vectorstore.edge import EdgeVectorStore
from contactcenter.vectorstore.server import QdrantServerStore

# local mode warns that payload indexes have no effect there; the adapter creates them anyway
# (and the client checks a remote server's version in a background thread: none runs here)
pytestmark = [
    pytest.mark.filterwarnings("ignore:Payload indexes have no effect:UserWarning"),
    pytest.mark.filterwarnings("ignore:Failed to obtain server version:UserWarning"),
]

DIM = 8
SPEC = CollectionSpec(name="kb_test_v1", dim=DIM, model_id="test-model@1")
TENANT_A = "tenant-a"
TENANT_B = "tenant-b"


# --- builders ---------------------------------------------------------------------------------
def unit(i: int) -> np.ndarray[Any, np.dtype[np.float32]]:
    v = np.zeros(DIM, dtype=np.float32)
    v[i] = 1.0
    return v


def at_cosine(query: np.ndarray[Any, Any], cos: float, seed: int) -> np.ndarray[Any, Any]:
    """A unit vector whose cosine with the unit vector ``query`` is exactly ``cos``."""
    rng = np.random.default_rng(seed)
    r = rng.normal(size=DIM)
    r -= r.dot(query) * query
    r /= np.linalg.norm(r)
    return (cos * query + math.sqrt(1.0 - cos * cos) * r).astype(np.float32)


def point(
    tenant: str,
    doc: str,
    chunk_no: int,
    vector: np.ndarray[Any, Any],
    text: str,
    *,
    content_hash: str = "v1",
    title: str = "Title",
    section: str | None = None,
    source_url: str | None = None,
    id_with_hash: bool = True,
) -> ChunkPoint:
    key = f"{tenant}/{doc}/{content_hash if id_with_hash else ''}/{chunk_no}"
    return ChunkPoint(
        id=str(uuid.uuid5(uuid.NAMESPACE_URL, key)),
        tenant_id=tenant,
        document_id=doc,
        chunk_no=chunk_no,
        content_hash=content_hash,
        vector=vector.astype(np.float32),
        sparse_text=f"{title}: {text}",
        title=title,
        section=section,
        text=text,
        source_url=source_url,
    )


def query(tenant: str, vector: np.ndarray[Any, Any], text: str, **kw: Any) -> SearchQuery:
    return SearchQuery(tenant_id=tenant, vector=vector.astype(np.float32), text=text, **kw)


# --- fixtures -----------------------------------------------------------------------------------
@pytest.fixture(params=["edge", "server"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def store(kind: str, tmp_path: Path) -> Iterator[VectorStore]:
    made: VectorStore
    if kind == "edge":
        made = EdgeVectorStore(tmp_path / "edge")
    else:
        made = QdrantServerStore(QdrantClient(path=str(tmp_path / "local")), prefix="kb")
    try:
        yield made
    finally:
        made.close()


@pytest.fixture
def coll(store: VectorStore) -> str:
    store.create_collection(SPEC)
    return SPEC.name


# --- collections --------------------------------------------------------------------------------
def test_create_exists_drop(store: VectorStore) -> None:
    assert not store.collection_exists(SPEC.name)
    store.create_collection(SPEC)
    assert store.collection_exists(SPEC.name)
    with pytest.raises(CollectionExists):
        store.create_collection(SPEC)
    store.drop_collection(SPEC.name)
    assert not store.collection_exists(SPEC.name)
    with pytest.raises(CollectionNotFound):
        store.drop_collection(SPEC.name)
    store.create_collection(SPEC)  # the name is free again
    assert store.count(SPEC.name, TENANT_A) == 0


def test_unknown_collection_raises_typed_error_everywhere(store: VectorStore) -> None:
    name = "does-not-exist"
    p = point(TENANT_A, "d1", 0, unit(0), "text")
    calls = [
        lambda: store.search(name, query(TENANT_A, unit(0), "text")),
        lambda: store.search(name, query(TENANT_A, unit(0), "the of")),  # dense only
        lambda: store.upsert(name, [p]),
        lambda: store.upsert(name, []),
        lambda: store.count(name, TENANT_A),
        lambda: store.delete_document(name, TENANT_A, "d1"),
        lambda: store.delete_tenant(name, TENANT_A),
        lambda: store.optimize(name),
        lambda: store.activate(CollectionSpec(name, DIM, "m")),
        lambda: store.drop_collection(name),
    ]
    for call in calls:
        with pytest.raises(CollectionNotFound) as info:
            call()
        assert info.value.name == name


@pytest.mark.parametrize(
    "bad", ["", "Upper", "a/b", "../up", ".hidden", "-dash-first", "x" * 64, "sp ace", "é"]
)
def test_invalid_collection_names_are_rejected(store: VectorStore, bad: str) -> None:
    with pytest.raises(InvalidCollectionName):
        store.create_collection(CollectionSpec(bad, DIM, "m"))
    with pytest.raises(InvalidCollectionName):
        store.collection_exists(bad)
    with pytest.raises(InvalidCollectionName):
        store.search(bad, query(TENANT_A, unit(0), "x"))
    with pytest.raises(InvalidCollectionName):
        store.count(bad, TENANT_A)


def test_longest_valid_name_is_accepted(store: VectorStore) -> None:
    name = "a" + "b-_9" * 15 + "zz"  # 63 characters
    store.create_collection(CollectionSpec(name, DIM, "m"))
    assert store.collection_exists(name)


# --- tenant isolation ---------------------------------------------------------------------------
def test_tenant_b_never_sees_tenant_a_even_with_a_exact_text_and_vector(
    store: VectorStore, coll: str
) -> None:
    text = "Order RX-48213 ships from the Lyon warehouse"
    secret = point(TENANT_A, "doc-a", 0, unit(0), text)
    store.upsert(coll, [secret])

    assert store.search(coll, query(TENANT_B, unit(0), text)) == []  # B has no points at all

    store.upsert(coll, [point(TENANT_B, "doc-b", 0, unit(3), "unrelated pharmacy hours")])
    hits = store.search(coll, query(TENANT_B, unit(0), text, limit=50))
    assert [h.document_id for h in hits] == ["doc-b"]
    assert secret.id not in {h.id for h in hits}

    own = store.search(coll, query(TENANT_A, unit(0), text))
    assert [h.id for h in own] == [secret.id]


def test_deletes_and_counts_for_tenant_b_leave_tenant_a_alone(
    store: VectorStore, coll: str
) -> None:
    a_points = [point(TENANT_A, "shared-id", i, unit(i), f"chunk {i}") for i in range(3)]
    store.upsert(coll, a_points)
    store.upsert(coll, [point(TENANT_B, "b-doc", 0, unit(5), "b chunk")])

    assert store.count(coll, TENANT_A) == 3
    assert store.count(coll, TENANT_B) == 1
    assert store.count(coll, TENANT_B, "shared-id") == 0

    store.delete_document(coll, TENANT_B, "shared-id")
    store.delete_document(coll, TENANT_B, "shared-id", keep_hash="other")
    assert store.count(coll, TENANT_A) == 3

    store.delete_tenant(coll, TENANT_B)
    assert store.count(coll, TENANT_A) == 3
    assert store.count(coll, TENANT_A, "shared-id") == 3
    assert store.count(coll, TENANT_B) == 0

    store.delete_tenant(coll, TENANT_A)
    assert store.count(coll, TENANT_A) == 0


def test_empty_tenant_is_refused(store: VectorStore, coll: str) -> None:
    with pytest.raises(ValueError, match="tenant_id"):
        store.search(coll, query("", unit(0), "x"))
    with pytest.raises(ValueError, match="tenant_id"):
        store.delete_tenant(coll, "")
    with pytest.raises(ValueError, match="tenant_id"):
        store.count(coll, "")


# --- upsert, versions ---------------------------------------------------------------------------
def test_upsert_is_idempotent(store: VectorStore, coll: str) -> None:
    points = [point(TENANT_A, "d1", i, unit(i), f"text {i}") for i in range(4)]
    store.upsert(coll, points)
    store.upsert(coll, points)
    assert store.count(coll, TENANT_A) == 4
    assert store.count(coll, TENANT_A, "d1") == 4


@pytest.mark.parametrize("id_with_hash", [True, False], ids=["ids-per-version", "ids-per-slot"])
def test_new_version_then_delete_keep_hash_leaves_exactly_the_new_version(
    store: VectorStore, coll: str, id_with_hash: bool
) -> None:
    old = [
        point(TENANT_A, "d1", i, unit(i), f"old {i}", content_hash="v1", id_with_hash=id_with_hash)
        for i in range(3)
    ]
    new = [
        point(TENANT_A, "d1", i, unit(i), f"new {i}", content_hash="v2", id_with_hash=id_with_hash)
        for i in range(2)
    ]
    other = point(TENANT_A, "d2", 0, unit(6), "another document", content_hash="v1")
    store.upsert(coll, [*old, other])
    store.upsert(coll, new)  # no gap: both versions are searchable until the delete
    assert store.count(coll, TENANT_A, "d1") == (5 if id_with_hash else 3)

    store.delete_document(coll, TENANT_A, "d1", keep_hash="v2")
    assert store.count(coll, TENANT_A, "d1") == 2
    assert store.count(coll, TENANT_A, "d2") == 1
    hits = store.search(coll, query(TENANT_A, unit(0), "new old", limit=50))
    d1 = sorted((h.id, h.text) for h in hits if h.document_id == "d1")
    assert d1 == sorted((p.id, p.text) for p in new)

    store.delete_document(coll, TENANT_A, "d1")
    assert store.count(coll, TENANT_A, "d1") == 0
    assert store.count(coll, TENANT_A) == 1


def test_ids_must_be_uuids_and_come_back_canonical(store: VectorStore, coll: str) -> None:
    with pytest.raises(ValueError, match="UUID"):
        store.upsert(
            coll,
            [ChunkPoint(**{**_fields(point(TENANT_A, "d", 0, unit(0), "x")), "id": "chunk-1"})],
        )
    upper = point(TENANT_A, "d", 0, unit(0), "x")
    upper = ChunkPoint(**{**_fields(upper), "id": upper.id.upper()})
    store.upsert(coll, [upper])
    (hit,) = store.search(coll, query(TENANT_A, unit(0), "x"))
    assert hit.id == upper.id.lower()


def _fields(p: ChunkPoint) -> dict[str, Any]:
    return {name: getattr(p, name) for name in ChunkPoint.__slots__}


# --- payload ------------------------------------------------------------------------------------
def test_payload_round_trips_into_scored_chunk(store: VectorStore, coll: str) -> None:
    full = point(
        TENANT_A,
        "doc-42",
        7,
        unit(0),
        "Insulin must be kept cold.",
        title="Storage guide",
        section="Fridge > Insulin",
        source_url="https://example.test/kb/storage#insulin",
    )
    bare = point(TENANT_A, "doc-43", 0, at_cosine(unit(0), 0.5, 1), "Plain text", title="")
    store.upsert(coll, [full, bare])
    hits = store.search(coll, query(TENANT_A, unit(0), "insulin cold"))
    assert [h.id for h in hits] == [full.id, bare.id]
    top = hits[0]
    assert (top.document_id, top.chunk_no, top.title, top.section, top.text, top.source_url) == (
        "doc-42",
        7,
        "Storage guide",
        "Fridge > Insulin",
        "Insulin must be kept cold.",
        "https://example.test/kb/storage#insulin",
    )
    second = hits[1]
    assert (second.title, second.section, second.source_url) == ("", None, None)
    assert isinstance(second.chunk_no, int)


# --- hybrid behaviour ---------------------------------------------------------------------------
def test_rare_exact_term_ranks_first_although_its_vector_is_not_the_closest(
    store: VectorStore, coll: str
) -> None:
    q = unit(0)
    code_chunk = point(TENANT_A, "orders", 0, at_cosine(q, 0.85, 1), "Order RX-48213 was refunded")
    closer = [
        point(TENANT_A, f"near-{i}", 0, at_cosine(q, c, 10 + i), f"Shipping policy part {i}")
        for i, c in enumerate([0.86, 0.3, 0.2, 0.1])
    ]
    store.upsert(coll, [code_chunk, *closer])

    dense_only = store.search(coll, query(TENANT_A, q, "the of"))  # no BM25 token
    assert dense_only[0].document_id == "near-0"

    hits = store.search(coll, query(TENANT_A, q, "RX-48213"))  # default weights 1.0 / 0.1
    assert hits[0].id == code_chunk.id
    assert hits[0].dense_score is not None and hits[0].dense_score < (hits[1].dense_score or 0)
    assert hits[0].sparse_score is not None and hits[0].sparse_score > 0
    assert all(h.sparse_score is None for h in hits[1:])


def test_dense_only_match_is_found_when_query_has_no_bm25_tokens(
    store: VectorStore, coll: str
) -> None:
    assert sparse_query("the of and, ?") is None
    target = point(TENANT_A, "d1", 0, unit(2), "Opening hours of the Lyon pharmacy")
    store.upsert(coll, [target, point(TENANT_A, "d2", 0, unit(4), "Something else")])
    hits = store.search(coll, query(TENANT_A, unit(2), "the of and, ?"))
    assert hits[0].id == target.id
    assert hits[0].score == pytest.approx(1.0)
    assert all(h.sparse_score is None for h in hits)


def test_fused_scores_and_order_follow_the_weighted_minmax_formula(
    store: VectorStore, coll: str
) -> None:
    q = unit(0)
    cosines = {"a": 0.9, "b": 0.7, "c": 0.5, "d": 0.1}
    texts = {
        "a": "shipping times for parcels",
        "b": "refund policy details",
        "c": "refund refund refund",
        "d": "refund of a parcel sent to the wrong address last march",
    }
    points = {
        k: point(TENANT_A, k, 0, at_cosine(q, cos, seed=i), texts[k], title="kb")
        for i, (k, cos) in enumerate(cosines.items())
    }
    # a point of another tenant still counts in the collection-wide BM25 IDF
    noise = point(TENANT_B, "x", 0, unit(7), "refund refund")
    store.upsert(coll, [*points.values(), noise])
    fusion = FusionParams(dense_weight=1.0, sparse_weight=0.5, dense_limit=3, sparse_limit=20)
    hits = store.search(coll, query(TENANT_A, q, "refund", fusion=fusion))

    # dense list: top 3 by cosine (a, b, c); sparse list: every chunk with "refund" (b, c, d)
    by_doc = {h.document_id: h for h in hits}
    assert set(by_doc) == {"a", "b", "c", "d"}
    for k in "abc":
        assert by_doc[k].dense_score == pytest.approx(cosines[k], abs=1e-5)
    assert by_doc["d"].dense_score is None
    assert by_doc["a"].sparse_score is None

    # BM25 with Qdrant's IDF over the whole collection: idf = ln(1 + (N - n + 0.5) / (n + 0.5))
    n_total, n_with_term = 5, 4
    idf = math.log(1 + (n_total - n_with_term + 0.5) / (n_with_term + 0.5))
    (token,) = sparse_query("refund").indices  # type: ignore[union-attr]
    for k in "bcd":
        doc_vec = sparse_document(f"kb: {texts[k]}")
        tf = dict(zip(doc_vec.indices, doc_vec.values, strict=True))[token]
        assert by_doc[k].sparse_score == pytest.approx(idf * tf, rel=1e-5)

    dense_norm = dict(zip("abc", minmax([cosines[k] for k in "abc"]), strict=True))
    sparse_raw = {k: float(by_doc[k].sparse_score or 0.0) for k in "bcd"}
    sparse_norm = dict(zip(sparse_raw, minmax(list(sparse_raw.values())), strict=True))
    expected = {k: 1.0 * dense_norm.get(k, 0.0) + 0.5 * sparse_norm.get(k, 0.0) for k in "abcd"}
    for k, h in by_doc.items():
        assert h.score == pytest.approx(expected[k], abs=1e-5)
    assert [h.document_id for h in hits] == sorted(expected, key=lambda k: -expected[k])
    assert [h.document_id for h in hits] == ["a", "b", "c", "d"]  # no near-ties in this case
    assert len({round(v, 3) for v in expected.values()}) == 4


def test_limit_caps_the_fused_list(store: VectorStore, coll: str) -> None:
    store.upsert(coll, [point(TENANT_A, f"d{i}", 0, unit(i), "refund") for i in range(6)])
    assert len(store.search(coll, query(TENANT_A, unit(0), "refund", limit=2))) == 2


# --- fusion, unit -------------------------------------------------------------------------------
def _hit(pid: str, score: float) -> RawHit:
    return RawHit(id=pid, score=score, payload={"document_id": pid, "chunk_no": 0})


def test_minmax_single_and_equal_scores_normalise_to_one() -> None:
    assert minmax([]) == []
    assert minmax([0.3]) == [1.0]
    assert minmax([2.0, 2.0]) == [1.0, 1.0]
    assert minmax([1.0, 3.0, 2.0]) == [0.0, 1.0, 0.5]


def test_fuse_ties_break_by_dense_score_then_id() -> None:
    params = FusionParams(dense_weight=1.0, sparse_weight=1.0)
    dense = [_hit("z", 0.9), _hit("y", 0.5)]
    sparse = [_hit("x", 7.0), _hit("w", 7.0)]
    out = fuse(dense, sparse, params, limit=10)
    # z: 1 + 0; x and w: 0 + 1 (no dense score, so by id); y: 0 + 0
    assert [c.id for c in out] == ["z", "w", "x", "y"]
    assert [c.score for c in out] == [1.0, 1.0, 1.0, 0.0]
    assert (out[1].dense_score, out[1].sparse_score) == (None, 7.0)
    assert fuse(dense, sparse, params, limit=0) == []


def test_fuse_is_deterministic_for_equal_inputs() -> None:
    dense = [_hit(f"p{i}", 0.5) for i in range(5)]
    first = fuse(dense, [], FusionParams(), limit=5)
    assert [c.id for c in first] == ["p0", "p1", "p2", "p3", "p4"]
    assert first == fuse(list(reversed(dense)), [], FusionParams(), limit=5)
    assert all(isinstance(c, ScoredChunk) and c.score == 1.0 for c in first)


@pytest.mark.parametrize(
    "scope",
    [
        TenantScope(TENANT_A),
        TenantScope(TENANT_A, "d1"),
        TenantScope(TENANT_A, "d1", "v2"),
        TenantScope(TENANT_A, point_ids=frozenset({str(uuid.uuid4())})),
    ],
)
def test_every_scope_renders_the_tenant_condition_first(scope: TenantScope) -> None:
    rendered_edge = edge_filter(scope)
    rendered_server = server_filter(scope)
    assert rendered_edge.must is not None and rendered_server.must is not None
    first_edge, first_server = rendered_edge.must[0], rendered_server.must
    assert isinstance(first_edge, qedge.FieldCondition) and first_edge.key == "tenant_id"
    assert isinstance(first_edge.match, qedge.MatchValue) and first_edge.match.value == TENANT_A
    assert isinstance(first_server, list)
    assert first_server[0] == qmodels.FieldCondition(
        key="tenant_id", match=qmodels.MatchValue(value=TENANT_A)
    )
    assert len(rendered_edge.must) == len(first_server)


def test_tenant_scope_needs_a_tenant() -> None:
    with pytest.raises(ValueError):
        TenantScope("")
    with pytest.raises(ValueError):
        TenantScope(TENANT_A, None, "v2")  # a version filter only within one document


# --- server adapter only ------------------------------------------------------------------------
def test_server_activate_moves_the_alias_in_one_request(tmp_path: Path) -> None:
    qc = QdrantClient(path=str(tmp_path / "local"))
    store = QdrantServerStore(qc, prefix="kb")
    one, two = CollectionSpec("kb_m1_v1", DIM, "m1"), CollectionSpec("kb_m2_v1", DIM, "m2")
    store.create_collection(one)
    store.create_collection(two)
    assert store.active_collection() is None

    calls: list[Any] = []
    original = qc.update_collection_aliases

    def spy(**kwargs: Any) -> Any:
        calls.append(kwargs["change_aliases_operations"])
        return original(**kwargs)

    qc.update_collection_aliases = spy  # type: ignore[method-assign]

    store.activate(one)  # first activation: deleting a missing alias is a no-op
    assert store.active_collection() == "kb_m1_v1"
    store.upsert(one.name, [point(TENANT_A, "d", 0, unit(0), "served through the alias")])
    store.activate(two)
    assert [(a.alias_name, a.collection_name) for a in qc.get_aliases().aliases] == [
        ("kb_active", "kb_m2_v1")
    ]
    assert [a.alias_name for a in qc.get_collection_aliases("kb_m2_v1").aliases] == ["kb_active"]
    assert qc.get_collection_aliases("kb_m1_v1").aliases == []
    # each switch was one request: delete + create together
    assert len(calls) == 2
    assert all(len(ops) == 2 for ops in calls)

    # reads may go through the alias; it cannot be created, dropped or activated as a collection
    assert store.count("kb_active", TENANT_A) == 0
    store.activate(one)
    assert store.count("kb_active", TENANT_A) == 1
    with pytest.raises(InvalidCollectionName):
        store.create_collection(CollectionSpec("kb_active", DIM, "m"))
    with pytest.raises(InvalidCollectionName):
        store.drop_collection("kb_active")
    store.close()


def test_server_store_from_settings_and_factory(tmp_path: Path) -> None:
    qs = QdrantSettings(url="https://127.0.0.1:9", api_key="k", collection_prefix="kbx")
    built = build_vector_store(Settings(data_dir=tmp_path, qdrant=qs))
    assert isinstance(built, QdrantServerStore)
    assert built.alias == "kbx_active"
    built.close()

    edge_store = build_vector_store(Settings(data_dir=tmp_path, qdrant=QdrantSettings(url=None)))
    assert isinstance(edge_store, EdgeVectorStore)
    assert edge_store.root == tmp_path / "qdrant"
    edge_store.close()


# --- Edge only --------------------------------------------------------------------------------
def test_edge_data_persists_across_close_and_reopen(tmp_path: Path) -> None:
    p = point(TENANT_A, "d1", 0, unit(1), "persisted chunk", title="Persist")
    with EdgeVectorStore(tmp_path) as first:
        first.create_collection(SPEC)
        first.upsert(SPEC.name, [p])
        first.activate(SPEC)
    with pytest.raises(StoreClosed):
        first.count(SPEC.name, TENANT_A)

    with EdgeVectorStore(tmp_path) as again:
        assert again.collection_exists(SPEC.name)
        assert again.count(SPEC.name, TENANT_A) == 1
        (hit,) = again.search(SPEC.name, query(TENANT_A, unit(1), "persisted"))
        assert (hit.id, hit.title, hit.sparse_score is not None) == (p.id, "Persist", True)


def test_edge_second_store_on_the_same_folder_fails_clearly(tmp_path: Path) -> None:
    first = EdgeVectorStore(tmp_path)
    first.create_collection(SPEC)
    with pytest.raises(StoreLocked, match="already open"):
        EdgeVectorStore(tmp_path)
    first.close()
    second = EdgeVectorStore(tmp_path)  # free again once the first is closed
    assert second.collection_exists(SPEC.name)
    second.close()


def test_edge_drop_removes_the_folder_and_leftovers_are_cleaned(tmp_path: Path) -> None:
    store = EdgeVectorStore(tmp_path)
    store.create_collection(SPEC)
    assert (tmp_path / SPEC.name).is_dir()
    store.drop_collection(SPEC.name)
    assert not (tmp_path / SPEC.name).exists()
    store.close()
    (tmp_path / ".tmp-crashed-create").mkdir()
    (tmp_path / ".drop-crashed-drop").mkdir()
    EdgeVectorStore(tmp_path).close()
    assert sorted(p.name for p in tmp_path.iterdir()) == [".lock"]


def test_edge_concurrent_search_upsert_and_lazy_open(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    with EdgeVectorStore(tmp_path) as setup:
        setup.create_collection(SPEC)
        setup.upsert(SPEC.name, [point(TENANT_A, "seed", 0, unit(0), "seed chunk")])

    store = EdgeVectorStore(tmp_path)  # the shard is not open yet: threads race to open it
    errors: list[BaseException] = []
    writes, rounds = 40, 60
    start = threading.Barrier(4)

    def writer() -> None:
        try:
            start.wait()
            for i in range(writes):
                vec = rng.normal(size=DIM)
                batch = [
                    point(TENANT_A, f"w{i}", j, vec / np.linalg.norm(vec), f"refund {i} {j}")
                    for j in range(5)
                ]
                store.upsert(SPEC.name, batch)
                store.upsert(SPEC.name, [point(TENANT_B, f"b{i}", 0, unit(1), "temp")])
                store.delete_tenant(SPEC.name, TENANT_B)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    def reader() -> None:
        try:
            start.wait()
            for _ in range(rounds):
                hits = store.search(SPEC.name, query(TENANT_A, unit(0), "refund seed", limit=5))
                assert hits and all(h.id for h in hits)
                assert all(not h.document_id.startswith("b") for h in hits)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer)] + [
        threading.Thread(target=reader) for _ in range(3)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert store.count(SPEC.name, TENANT_A) == 1 + writes * 5
    assert store.count(SPEC.name, TENANT_B) == 0
    store.optimize(SPEC.name)
    assert store.count(SPEC.name, TENANT_A) == 1 + writes * 5
    store.close()


def test_edge_drop_during_searches_surfaces_as_collection_not_found(tmp_path: Path) -> None:
    store = EdgeVectorStore(tmp_path)
    store.create_collection(SPEC)
    store.upsert(SPEC.name, [point(TENANT_A, f"d{i}", 0, unit(i % DIM), "text") for i in range(50)])
    unexpected: list[BaseException] = []
    started = threading.Event()

    def reader() -> None:
        started.set()
        for _ in range(2000):
            try:
                store.search(SPEC.name, query(TENANT_A, unit(0), "text"))
            except CollectionNotFound:
                return
            except BaseException as exc:  # pragma: no cover - reported below
                unexpected.append(exc)
                return

    thread = threading.Thread(target=reader)
    thread.start()
    started.wait()
    store.drop_collection(SPEC.name)
    thread.join(timeout=60)
    assert not unexpected, unexpected
    store.close()
    with pytest.raises(StoreClosed):
        store.search(SPEC.name, query(TENANT_A, unit(0), "text"))
