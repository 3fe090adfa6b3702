"""An environment's own YAML files, parsed once with positions, and the pins helpers sources use."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import Any
from weakref import WeakValueDictionary

from promote.engine.errors import ConfigError
from promote.engine.model import ArtifactRef, Pin, TextEdit
from promote.engine.yamlfiles.yamlio import (
    CommentedMap,
    CommentedSeq,
    LineIndex,
    format_scalar,
    load_round_trip,
    load_safe,
    plain_copy,
    position_of_item,
    position_of_value,
    read_text,
    scalar_span,
)

YAML_SUFFIXES = (".yaml", ".yml")
KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
# Helm's naming of values files: values.yaml, values-prod.yaml, values.prod.yml, prod-values.yaml.
HELM_VALUES_NAME = re.compile(r"^(.+[-_.])?values([-_.].+)?\.ya?ml$")


def is_kubernetes_object(data: Any) -> bool:
    return isinstance(data, dict) and "apiVersion" in data and "kind" in data


def is_helm_values_file(name: str) -> bool:
    """Named as Helm values files are; their documents are a chart's input, not manifests."""
    return HELM_VALUES_NAME.match(name) is not None


@dataclass
class YamlFile:
    path: PurePosixPath  # relative to the repository root
    text: str

    @classmethod
    def of(cls, path: PurePosixPath, text: str) -> YamlFile:
        """The file object of `path` with `text`, shared while anything holds it: a promotion
        reads DST again to check its commit, and what did not change is not parsed again."""
        known = _READ.get((path, text))
        if known is None:
            known = _READ[path, text] = cls(path, text)
        return known

    @cached_property
    def index(self) -> LineIndex:
        return LineIndex(self.text)

    @cached_property
    def documents(self) -> list[YamlDocument]:
        loaded = load_round_trip(self.text, self.path)
        return [YamlDocument(self, number, data) for number, data in enumerate(loaded)]

    @cached_property
    def plain_documents(self) -> list[Any]:
        """The documents as plain data, without positions (what a renderer reads): copied from
        the documents with positions when the sources have read those already."""
        if "documents" in self.__dict__:
            copied = plain_copy([document.data for document in self.documents])
            if copied is not None:
                return copied
        return load_safe(self.text, str(self.path))

    def keep_plain_data_only(self) -> None:
        """Drop the documents with positions and the line index (made again if asked for),
        keeping the plain data copied from them, once the sources have read them."""
        if "documents" not in self.__dict__:
            return
        copied = plain_copy([document.data for document in self.documents])
        if copied is not None:
            self.__dict__.setdefault("plain_documents", copied)
            del self.__dict__["documents"]
            self.__dict__.pop("index", None)


_READ: WeakValueDictionary[tuple[PurePosixPath, str], YamlFile] = WeakValueDictionary()


@dataclass
class YamlDocument:
    file: YamlFile
    number: int
    data: Any

    @property
    def is_kustomization(self) -> bool:
        return PurePosixPath(self.file.path).name in KUSTOMIZATION_NAMES

    def scalar_pin(
        self,
        node: CommentedMap | CommentedSeq,
        key: str | int,
        ref: ArtifactRef,
        source: str,
        *,
        version: str | None = None,
        compose: Callable[[str], str] = str,
    ) -> Pin | None:
        """A pin on the one-line scalar `node[key]`; `compose` turns a version into its text.

        None when the scalar spans several lines (we never rewrite block scalars).
        """
        line, column = (
            position_of_item(node, key) if isinstance(key, int) else position_of_value(node, key)
        )
        span = scalar_span(self.file.index, line, column)
        if span is None:
            return None
        current = str(node[key])
        file = self.file.path

        def rewrite(new_version: str) -> list[TextEdit]:
            text = format_scalar(compose(new_version), span.style)
            return [TextEdit(file, span.start, span.end, text)]

        return Pin(
            ref=ref,
            version=current if version is None else version,
            file=file,
            line=line + 1,
            column=column + 1,
            source=source,
            rewrite=rewrite,
        )


@dataclass
class EnvFiles:
    """The `.yaml`/`.yml` files under one environment's directory (its own files only)."""

    repo_root: Path
    env_path: PurePosixPath
    files: list[YamlFile] = field(default_factory=list)
    env_name: str = ""  # the environment's name, for what a promotion writes about it

    @classmethod
    def read(cls, repo_root: Path, env_path: PurePosixPath, env_name: str = "") -> EnvFiles:
        directory = repo_root / env_path
        found = [
            path
            for path in sorted(directory.rglob("*"))
            if path.is_file() and (path.suffix in YAML_SUFFIXES or path.name == "Kustomization")
        ]
        files = [
            YamlFile.of(relative, read_text(path, relative))
            for path in found
            for relative in [PurePosixPath(path.relative_to(repo_root).as_posix())]
        ]
        return cls(repo_root, env_path, files, env_name or env_path.name)

    @classmethod
    def from_texts(cls, base: EnvFiles, texts: dict[PurePosixPath, str]) -> EnvFiles:
        """The same environment with its files as `texts` has them (edits not yet written)."""
        files = [YamlFile.of(path, text) for path, text in sorted(texts.items())]
        return cls(base.repo_root, base.env_path, files, base.env_name)

    def exists(self, path: PurePosixPath) -> bool:
        return self.file(path) is not None or (self.repo_root / path).exists()

    def documents(self) -> Iterator[YamlDocument]:
        for file in self.files:
            yield from file.documents

    @property
    def kustomization(self) -> YamlFile | None:
        for name in KUSTOMIZATION_NAMES:
            wanted = self.env_path / name
            for file in self.files:
                if file.path == wanted:
                    return file
        return None

    def file(self, path: PurePosixPath) -> YamlFile | None:
        return next((f for f in self.files if f.path == path), None)


def refuse_links(repo_root: Path, files: Iterable[PurePosixPath]) -> None:
    """A file reached through a symbolic link is never edited: the edit would land wherever the
    link points (outside the repository, say), or commit the link as a regular file."""
    for file in files:
        for depth in range(1, len(file.parts) + 1):
            step = PurePosixPath(*file.parts[:depth])
            if (repo_root / step).is_symlink():
                target = os.readlink(repo_root / step)
                raise ConfigError(
                    f"refusing to edit {file}: {step} is a symbolic link (to {target}); "
                    "promote only edits regular files"
                )
