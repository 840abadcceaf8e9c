"""The demo's sample data: realistic containers, a BuildKit cache and a registry, seeded into Azurite.

The data is planned by a pure, seeded function (`plan_demo_data`), so every run
produces the same names, sizes and contents (stable screenshots), then uploaded
concurrently through `BlobStore`. Besides ordinary containers it holds:

- `buildkit-cache`: a BuildKit azblob cache (manifests/<name> CacheConfig JSON,
  blobs/sha256:<hex> layers whose content hashes to their name), with names
  containing `/`, two names sharing one manifest, a layer shared by every
  manifest and one orphan blob no manifest references.
- `registry`: a Distribution v3 registry (`docker/registry/v2/...`) with tags,
  tag history, an untagged revision, an index manifest, `_layers` links, one
  unreferenced blob and one abandoned upload.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import io
import json
import random
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Callable

from aztui.units import human_size

SEED = 20261124
UPLOAD_CONCURRENCY = 32
EPOCH = datetime(2025, 11, 24, 9, 30, tzinfo=timezone.utc)  # "now" inside the demo data

# BuildKit cache names written by the demo; `ci/main` and `ci/pr-42` share one manifest.
CACHE_NAMES = ("buildkit", "app/frontend", "app/backend", "ci/main", "ci/pr-42")
REGISTRY_ROOT = "docker/registry/v2"
LAYER_MEDIA_TYPE = "application/vnd.oci.image.layer.v1.tar+gzip"
MANIFEST_MEDIA_TYPE = "application/vnd.oci.image.manifest.v1+json"
INDEX_MEDIA_TYPE = "application/vnd.oci.image.index.v1+json"
CONFIG_MEDIA_TYPE = "application/vnd.oci.image.config.v1+json"


@dataclass(frozen=True)
class DemoBlob:
    """One blob to upload."""

    container: str
    name: str
    data: bytes
    content_type: str | None = None
    metadata: dict[str, str] | None = None
    tier: str | None = None  # "Hot" | "Cool" | "Archive"


@dataclass(frozen=True)
class DemoContainer:
    name: str
    public_access: str | None = None  # None (private) | "blob" | "container"


@dataclass
class DemoPlan:
    containers: list[DemoContainer]
    blobs: list[DemoBlob]
    orphan_cache_blob: str = ""        # blobs/sha256:<hex> no manifest references
    orphan_registry_blob: str = ""     # blobs/sha256/<2>/<hex>/data no manifest references


@dataclass
class DemoSummary:
    """What the seeding wrote: blob counts and bytes per container."""

    counts: dict[str, int] = field(default_factory=dict)
    bytes_per_container: dict[str, int] = field(default_factory=dict)

    @property
    def total_blobs(self) -> int:
        return sum(self.counts.values())

    @property
    def total_bytes(self) -> int:
        return sum(self.bytes_per_container.values())

    def render(self) -> str:
        width = max((len(name) for name in self.counts), default=10)
        lines = [f"  {name:<{width}}  {self.counts[name]:>6} blobs  {human_size(self.bytes_per_container[name]):>10}"
                 for name in sorted(self.counts)]
        lines.append(f"  {'total':<{width}}  {self.total_blobs:>6} blobs  {human_size(self.total_bytes):>10}")
        return "\n".join(lines)



def sha256_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _json(obj) -> bytes:
    return json.dumps(obj, indent=2, sort_keys=False).encode()


def _gzip(data: bytes) -> bytes:
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) as gz:
        gz.write(data)
    return buf.getvalue()


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _small_size(rng: random.Random) -> int:
    """A plausible small-file size: mostly a few KiB, sometimes tens of KiB."""
    return min(int(rng.lognormvariate(7.5, 1.1)), 96 * 1024)


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


# --- the containers ----------------------------------------------------------------------

def _web_assets(rng: random.Random) -> list[DemoBlob]:
    png = b"\x89PNG\r\n\x1a\n"
    files = [
        ("index.html", b"<!doctype html>\n<html><head><title>Contoso Tools</title>"
                       b"<link rel=stylesheet href=css/site.css></head>\n<body><h1>Contoso</h1>"
                       b"<script src=js/app.js></script></body></html>\n", "text/html"),
        ("about.html", b"<!doctype html>\n<html><body><h1>About</h1></body></html>\n", "text/html"),
        ("css/site.css", b"body { font-family: Inter, sans-serif; margin: 0 }\n" * 40, "text/css"),
        ("css/theme-dark.css", b":root { --bg: #111; --fg: #eee }\n" * 25, "text/css"),
        ("js/app.js", b"document.addEventListener('DOMContentLoaded', () => init());\n" * 60,
         "application/javascript"),
        ("js/vendor/chart.min.js", rng.randbytes(48 * 1024), "application/javascript"),
        ("img/logo.png", png + rng.randbytes(3 * 1024), "image/png"),
        ("img/hero.png", png + rng.randbytes(180 * 1024), "image/png"),
        ("img/icons/cloud.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>\n", "image/svg+xml"),
        ("favicon.ico", rng.randbytes(1150), "image/x-icon"),
        ("robots.txt", b"User-agent: *\nDisallow:\n", "text/plain"),
        ("fonts/inter.woff2", rng.randbytes(24 * 1024), "font/woff2"),
    ]
    return [DemoBlob("web-assets", name, data, content_type=ctype,
                     metadata={"cache_control": "max-age=3600"} if name.endswith(".png") else None)
            for name, data, ctype in files]


def _backups(rng: random.Random) -> list[DemoBlob]:
    plan = [  # (name, KiB, tier, source)
        ("postgres/2025-11-23/full.dump.gz", 1000, "Hot", "postgres-prod"),
        ("postgres/2025-11-16/full.dump.gz", 620, "Cool", "postgres-prod"),
        ("postgres/2025-10-01/full.dump.gz", 540, "Archive", "postgres-prod"),
        ("redis/2025-11-23/dump.rdb", 96, "Cool", "redis-cache"),
        ("vault/2025-11-20/snapshot.snap", 40, "Cool", "vault"),
        ("etcd/2025-09-15/snapshot.db", 300, "Archive", "etcd-prod"),
    ]
    return [DemoBlob("backups", name, rng.randbytes(kib * 1024), content_type="application/octet-stream",
                     metadata={"source": source, "retention_days": "90" if tier != "Archive" else "365"},
                     tier=tier)
            for name, kib, tier, source in plan]


def _datasets(rng: random.Random, count: int) -> list[DemoBlob]:
    blobs: list[DemoBlob] = []
    tables = ("sales", "customers", "inventory")
    for i in range(count):
        day = EPOCH - timedelta(days=rng.randrange(60))
        if i % 3 != 2:  # raw, partitioned by date
            name = f"raw/{day:%Y/%m/%d}/part-{i:05d}.parquet"
            meta, tier = None, "Cool" if day < EPOCH - timedelta(days=30) else None
        else:
            table = tables[i % len(tables)]
            name = f"curated/{table}/year={day:%Y}/month={day:%m}/part-{i:05d}.parquet"
            meta, tier = {"schema": "v3", "owner": "data-eng", "table": table}, None
        data = b"PAR1" + rng.randbytes(_small_size(rng)) + b"PAR1"
        blobs.append(DemoBlob("datasets", name, data, content_type="application/vnd.apache.parquet",
                              metadata=meta, tier=tier))
    if count:
        blobs.append(DemoBlob("datasets", "curated/_SUCCESS", b""))
    return blobs[:count]


def _logs(rng: random.Random, count: int) -> list[DemoBlob]:
    blobs: list[DemoBlob] = []
    hosts = ("web-01", "web-02", "worker-01", "api-01")
    paths = ("/api/orders", "/api/users", "/healthz", "/login", "/api/search")
    for i in range(count):
        moment = EPOCH - timedelta(minutes=37 * i)
        host = hosts[i % len(hosts)]
        lines = []
        for _ in range(rng.randrange(5, 60)):
            lines.append(f"{_stamp(moment)} {rng.choice(('INFO', 'INFO', 'INFO', 'WARN', 'ERROR'))} "
                         f"{host} {rng.choice(paths)} status={rng.choice((200, 200, 201, 404, 500))} "
                         f"ms={rng.randrange(1, 900)}")
        text = ("\n".join(lines) + "\n").encode()
        if i % 2:
            name = f"app/{moment:%Y/%m/%d}/{host}-{moment:%H%M}-{i:05d}.log"
            blobs.append(DemoBlob("logs", name, text, content_type="text/plain"))
        else:
            events = [{"ts": _stamp(moment), "host": host, "event": rng.choice(("login", "logout", "deny"))}
                      for _ in range(rng.randrange(5, 40))]
            name = f"audit/{moment:%Y/%m/%d}/{host}-{i:05d}.json.gz"
            blobs.append(DemoBlob("logs", name, _gzip("\n".join(map(json.dumps, events)).encode()),
                                  content_type="application/gzip",
                                  tier="Cool" if moment < EPOCH - timedelta(days=14) else None))
    return blobs


def _ml_artifacts(rng: random.Random, count: int) -> list[DemoBlob]:
    """ZenML artifact store layout: zenml/<pipeline>/<step>/<output>/<artifact uuid>/<file>."""
    steps = [("training_pipeline", "trainer", "model", "model.pkl"),
             ("training_pipeline", "evaluator", "metrics", "metrics.json"),
             ("etl_pipeline", "loader", "dataset", "data.parquet"),
             ("etl_pipeline", "splitter", "train_split", "data.parquet")]
    blobs: list[DemoBlob] = []
    while len(blobs) < count:
        pipeline, step, output, filename = steps[len(blobs) % len(steps)]
        artifact = _uuid(rng)
        base = f"zenml/{pipeline}/{step}/{output}/{artifact}"
        meta = {"zenml_artifact_id": artifact, "zenml_pipeline": pipeline}
        blobs.append(DemoBlob("ml-artifacts", f"{base}/{filename}", rng.randbytes(_small_size(rng)),
                              metadata=meta))
        blobs.append(DemoBlob("ml-artifacts", f"{base}/materializer_metadata.json",
                              _json({"materializer": f"zenml.materializers.{output}", "version": "0.70.0"}),
                              content_type="application/json"))
    return blobs[:count]


def _buildkit_cache(rng: random.Random) -> tuple[list[DemoBlob], str]:
    """A BuildKit azblob cache at the default layout (docs/formats/buildkit-azblob-cache.md §Layout).
    Returns (blobs, orphan name)."""
    container = "buildkit-cache"
    blobs: list[DemoBlob] = []

    def layer(kib: int) -> tuple[str, bytes]:
        data = rng.randbytes(kib * 1024)
        digest = sha256_digest(data)
        blobs.append(DemoBlob(container, f"blobs/{digest}", data, content_type=LAYER_MEDIA_TYPE))
        return digest, data

    shared = layer(64)  # the base image layer, used by every manifest

    def manifest(chain: list[tuple[str, bytes]], day_offset: int) -> bytes:
        created = EPOCH - timedelta(days=day_offset)
        layers, records = [], []
        for index, (digest, data) in enumerate(chain):
            layers.append({"blob": digest, "parent": index - 1,
                           "annotations": {"mediaType": LAYER_MEDIA_TYPE,
                                           "diffID": "sha256:" + hashlib.sha256(b"diff" + data[:64]).hexdigest(),
                                           "size": len(data), "createdAt": _stamp(created)}})
            record = {"digest": "sha256:" + hashlib.sha256(digest.encode() + b"record").hexdigest(),
                      "layers": [{"layer": index, "createdAt": _stamp(created)}]}
            if index:
                record["inputs"] = [[{"selector": "", "link": index - 1}]]
            records.append(record)
        return json.dumps({"layers": layers, "records": records}).encode()

    chains = {
        "buildkit": ([shared, layer(12), layer(30)], 20),
        "app/frontend": ([shared, layer(8), layer(120), layer(5)], 2),
        "app/backend": ([shared, layer(40), layer(16)], 1),
        "ci/main": ([shared, layer(22), layer(3)], 0),
    }
    chains["ci/pr-42"] = chains["ci/main"]  # `name=ci/main;ci/pr-42`: one export, two names
    for name in CACHE_NAMES:
        chain, age = chains[name]
        blobs.append(DemoBlob(container, f"manifests/{name}", manifest(chain, age),
                              content_type="application/json"))
    orphan_digest, _ = layer(18)  # an export that never wrote its manifest
    return blobs, f"blobs/{orphan_digest}"


def _registry(rng: random.Random) -> tuple[list[DemoBlob], str]:
    """A Distribution v3 registry (docs/formats/distribution-on-azure-blob.md §Layout) at the container root.
    Returns (blobs, orphan name)."""
    container = "registry"
    content: dict[str, bytes] = {}  # digest -> data, deduplicated like the registry does
    links: dict[str, str] = {}  # path under the root -> digest

    def put(data: bytes) -> tuple[str, int]:
        digest = sha256_digest(data)
        content[digest] = data
        return digest, len(data)

    def image(repo: str, layer_kibs: list[int], base: tuple[str, int], arch: str = "amd64") -> tuple[str, int]:
        config = put(_json({"architecture": arch, "os": "linux", "created": _stamp(EPOCH),
                            "config": {"Env": ["PATH=/usr/bin"]}, "rootfs": {"type": "layers"}}))
        layers = [base] + [put(rng.randbytes(kib * 1024)) for kib in layer_kibs]
        manifest = put(_json({"schemaVersion": 2, "mediaType": MANIFEST_MEDIA_TYPE,
                              "config": {"mediaType": CONFIG_MEDIA_TYPE, "digest": config[0], "size": config[1]},
                              "layers": [{"mediaType": LAYER_MEDIA_TYPE, "digest": d, "size": s}
                                         for d, s in layers]}))
        for digest, _ in [config, *layers]:
            links[f"repositories/{repo}/_layers/sha256/{digest[7:]}/link"] = digest
        links[f"repositories/{repo}/_manifests/revisions/sha256/{manifest[0][7:]}/link"] = manifest[0]
        return manifest

    def tag(repo: str, name: str, manifest: tuple[str, int], history: list[tuple[str, int]] = ()) -> None:
        links[f"repositories/{repo}/_manifests/tags/{name}/current/link"] = manifest[0]
        for old in [*history, manifest]:
            links[f"repositories/{repo}/_manifests/tags/{name}/index/sha256/{old[0][7:]}/link"] = old[0]

    base = put(rng.randbytes(56 * 1024))  # a base layer shared by every repository

    nginx_old = image("library/nginx", [20], base)
    nginx = image("library/nginx", [24, 4], base)
    tag("library/nginx", "1.27", nginx)
    tag("library/nginx", "latest", nginx, history=[nginx_old])  # nginx_old is now untagged

    api_v1 = image("team/api", [30], base)
    api_amd64 = image("team/api", [32, 6], base, "amd64")
    api_arm64 = image("team/api", [31, 6], base, "arm64")
    api_index = put(_json({"schemaVersion": 2, "mediaType": INDEX_MEDIA_TYPE,
                           "manifests": [{"mediaType": MANIFEST_MEDIA_TYPE, "digest": d, "size": s,
                                          "platform": {"architecture": arch, "os": "linux"}}
                                         for (d, s), arch in ((api_amd64, "amd64"), (api_arm64, "arm64"))]}))
    links[f"repositories/team/api/_manifests/revisions/sha256/{api_index[0][7:]}/link"] = api_index[0]
    tag("team/api", "v1", api_v1)
    tag("team/api", "v2", api_index)

    worker = image("team/worker", [12], base)
    tag("team/worker", "main", worker)

    orphan = put(rng.randbytes(40 * 1024))  # left behind by a deleted repository
    blobs = [DemoBlob(container, f"{REGISTRY_ROOT}/blobs/sha256/{d[7:9]}/{d[7:]}/data", data,
                      content_type="application/octet-stream")
             for d, data in content.items()]
    blobs += [DemoBlob(container, f"{REGISTRY_ROOT}/{path}", digest.encode(), content_type="text/plain")
              for path, digest in links.items()]
    upload = f"{REGISTRY_ROOT}/repositories/team/api/_uploads/{_uuid(rng)}"
    blobs.append(DemoBlob(container, f"{upload}/startedat", _stamp(EPOCH - timedelta(days=12)).encode()))
    blobs.append(DemoBlob(container, f"{upload}/data", rng.randbytes(9 * 1024)))
    orphan_name = f"{REGISTRY_ROOT}/blobs/sha256/{orphan[0][7:9]}/{orphan[0][7:]}/data"
    return blobs, orphan_name


def plan_demo_data(blobs: int = 3000) -> DemoPlan:
    """The demo data, deterministic for a given `blobs` (the total number of blobs, at least ~100)."""
    rng = random.Random(SEED)
    cache, cache_orphan = _buildkit_cache(rng)
    registry, registry_orphan = _registry(rng)
    fixed = _web_assets(rng) + _backups(rng) + cache + registry
    rest = max(blobs - len(fixed), 0)
    n_datasets, n_logs = rest * 45 // 100, rest * 40 // 100
    n_ml = rest - n_datasets - n_logs
    planned = fixed + _datasets(rng, n_datasets) + _logs(rng, n_logs) + _ml_artifacts(rng, n_ml)
    containers = [DemoContainer("datasets"), DemoContainer("backups"), DemoContainer("web-assets", "blob"),
                  DemoContainer("logs"), DemoContainer("ml-artifacts"), DemoContainer("buildkit-cache"),
                  DemoContainer("registry")]
    return DemoPlan(containers, planned, orphan_cache_blob=cache_orphan, orphan_registry_blob=registry_orphan)


# --- seeding -----------------------------------------------------------------------------

async def seed_demo_data(profile_or_store, *, blobs: int = 3000,
                         say: Callable[[str], None] = print) -> DemoSummary:
    """Create the demo containers and upload the planned blobs (32 at a time).

    `profile_or_store` is a `Profile` (a `BlobStore` is opened and closed here)
    or an already open `BlobStore`. Blobs already there with the planned size are kept,
    so seeding twice uploads nothing new.
    """
    from aztui.azure.blobs import BlobStore

    if isinstance(profile_or_store, BlobStore):
        return await _seed(profile_or_store, blobs, say)
    async with BlobStore(profile_or_store) as store:
        return await _seed(store, blobs, say)


async def _seed(store, blobs: int, say: Callable[[str], None]) -> DemoSummary:
    plan = plan_demo_data(blobs)
    containers = {c.name async for c in store.iter_containers()}
    present: set[tuple[str, str, int]] = set()  # (container, name, size) already stored
    for container in plan.containers:
        if container.name in containers:
            present |= {(container.name, b.name, b.size) async for b in store.iter_blobs(container.name)}
        else:
            await store.create_container(container.name, public_access=container.public_access)
    # the plan is deterministic: a blob with the same name and size is the same blob (and
    # Azurite refuses to overwrite archived ones), so a second run uploads only what is missing
    missing = [b for b in plan.blobs if (b.container, b.name, len(b.data)) not in present]
    say(f"Seeding {len(plan.blobs)} blobs into {len(plan.containers)} containers..."
        + (f" ({len(plan.blobs) - len(missing)} already there)" if len(missing) < len(plan.blobs) else ""))
    limit = asyncio.Semaphore(UPLOAD_CONCURRENCY)

    async def upload(blob: DemoBlob) -> None:
        async with limit:
            await store.upload_blob(blob.container, blob.name, blob.data, metadata=blob.metadata,
                                    tier=blob.tier, content_type=blob.content_type, overwrite=True)

    tasks = [asyncio.ensure_future(upload(blob)) for blob in missing]
    try:
        await asyncio.gather(*tasks)
    finally:  # on failure or Ctrl+C, do not leave uploads running
        for task in tasks:
            task.cancel()
    counts = Counter(blob.container for blob in plan.blobs)
    sizes = Counter()
    for blob in plan.blobs:
        sizes[blob.container] += len(blob.data)
    return DemoSummary({c.name: counts[c.name] for c in plan.containers},
                       {c.name: sizes[c.name] for c in plan.containers})
