"""Renderers: `plain` (the YAML files of the directory) and `kustomize` (the real binary)."""

from __future__ import annotations

import os
import shutil
import subprocess
from functools import cache
from pathlib import Path, PurePosixPath
from typing import Any

from promote.engine.errors import ConfigError, RenderError
from promote.engine.model import Environment
from promote.engine.plugins import hookimpl
from promote.engine.secrets import scrub
from promote.engine.yamlfiles.envfiles import (
    KUSTOMIZATION_NAMES,
    YAML_SUFFIXES,
    YamlFile,
    is_helm_values_file,
    is_kubernetes_object,
)
from promote.engine.yamlfiles.yamlio import load_safe, read_text

KUSTOMIZE_ENV = "PROMOTE_KUSTOMIZE"  # e.g. "kustomize" or "kubectl kustomize"
RENDER_TIMEOUT_SECONDS = 120


def _objects(documents: list[Any], origin: str) -> list[dict[str, Any]]:
    objects = []
    for document in documents:
        if isinstance(document, dict) and document.get("kind") == "List":
            objects.extend(document.get("items") or [])
        elif isinstance(document, dict) and "kind" in document and "apiVersion" in document:
            objects.append(document)
        elif document is not None:
            raise RenderError(f"{origin}: a YAML document is not a Kubernetes object")
    return objects


class Plain:
    """Every .yaml/.yml file under the directory, sorted by path (like kustomize-controller's
    generated kustomization). Helm values files (by name) are a chart's input: only the
    Kubernetes objects in them render."""

    def render(self, repo_root: Path, env: Environment) -> list[dict[str, Any]]:
        directory = repo_root / env.path
        objects: list[dict[str, Any]] = []
        for path in sorted(directory.rglob("*")):
            if (
                path.suffix in YAML_SUFFIXES
                and path.is_file()
                and path.name not in KUSTOMIZATION_NAMES
            ):
                shown = PurePosixPath(path.relative_to(repo_root).as_posix())
                documents = YamlFile.of(shown, read_text(path, shown)).plain_documents
                if is_helm_values_file(path.name):
                    documents = [d for d in documents if is_kubernetes_object(d)]
                objects.extend(_objects(documents, str(shown)))
        return objects


@cache
def kustomize_command() -> tuple[str, ...]:
    """`kustomize build`, else `kubectl kustomize`; PROMOTE_KUSTOMIZE overrides both."""
    configured = os.environ.get(KUSTOMIZE_ENV)
    if configured:
        words = tuple(configured.split())
        return (*words, "build") if Path(words[0]).name == "kustomize" else words
    if shutil.which("kustomize"):
        return ("kustomize", "build")
    if shutil.which("kubectl"):
        return ("kubectl", "kustomize")
    raise RenderError(
        "neither `kustomize` nor `kubectl` is on PATH; install one of them to render kustomize "
        f"environments (or set {KUSTOMIZE_ENV})"
    )


class Kustomize:
    def render(self, repo_root: Path, env: Environment) -> list[dict[str, Any]]:
        command = [*kustomize_command(), str(repo_root / env.path)]
        try:
            result = subprocess.run(
                command, capture_output=True, text=True, timeout=RENDER_TIMEOUT_SECONDS, check=False
            )
        except FileNotFoundError:
            raise RenderError(f"cannot run {command[0]!r}: not found") from None
        except subprocess.TimeoutExpired:
            raise RenderError(f"{' '.join(command[:2])} timed out for {env.path}") from None
        if result.returncode != 0:
            reason = (result.stderr.strip().splitlines() or ["no output"])[-1]
            reason = scrub(reason, _generated_secrets(repo_root))
            raise RenderError(f"environment {env.name!r} does not render ({env.path}): {reason}")
        return _objects(load_safe(result.stdout, f"kustomize build {env.path}"), str(env.path))


def _generated_secrets(repo_root: Path) -> list[dict[str, Any]]:
    """The literals of every secretGenerator in the repository, as Secrets to scrub: kustomize
    quotes a literal it cannot read (`invalid literal source s3cret, expected key=value`)."""
    files = [
        path
        for path in repo_root.rglob("*")
        if path.name in KUSTOMIZATION_NAMES and ".git" not in path.relative_to(repo_root).parts
    ]
    return [
        {"apiVersion": "v1", "kind": "Secret", "stringData": {"literal": literal, "value": value}}
        for path in files
        for literal in _secret_literals(path)
        for value in [literal.partition("=")[2]]
    ]


def _secret_literals(kustomization: Path) -> list[str]:
    try:
        documents = load_safe(read_text(kustomization, kustomization), str(kustomization))
    except ConfigError:
        return []
    return [
        str(literal)
        for document in documents
        if isinstance(document, dict)
        for generator in _listed(document.get("secretGenerator"))
        if isinstance(generator, dict)
        for literal in _listed(generator.get("literals"))
    ]


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


@hookimpl
def promote_register_renderers(register) -> None:
    register("plain", Plain())
    register("kustomize", Kustomize())
