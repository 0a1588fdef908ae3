"""Reading profiles: YAML with the place of every value, extends, interpolation, env_file.

The steps, each reporting every problem it finds into one ``Ctx``:

1. compose the YAML (libyaml when available) and convert it to a ``Node`` tree that keeps
   file, line and column of every value; duplicate keys, unsupported tags and recursive
   aliases are problems (PyYAML alone would silently keep the last duplicate);
2. interpolate ``$VAR`` expressions in every string value (not in keys), from the environment
   over the ``.env`` file in the profile's folder (as Compose reads the one beside its file);
3. load the files named by ``extends`` the same way and deep-merge them under this one;
4. validate and normalise the merged tree against ``schema.PROFILE``;
5. read ``env_file`` files, apply the profile-wide rules (image or build, the name) and check
   that the runtime class exists and can honour the profile (the checks across fields are in
   ``checks.py``).

yaml is imported inside functions only.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rcontainer.profile import checks, schema
from rcontainer.profile.checks import at
from rcontainer.profile.envfiles import read_env_file, with_dotenv
from rcontainer.profile.interpolate import InterpolationError, Recording, interpolate, unset_warning
from rcontainer.profile.problems import Problem, ProfileError
from rcontainer.profile.schema import INVALID, Ctx, EnvValue, Node, PathT
from rcontainer.profile.yamlversions import TYPED, yaml11_reading

MAX_VALUES = 100_000  # after alias expansion: refuses "billion laughs" documents
MAX_DEPTH = 64
_STD_TAG = "tag:yaml.org,2002:"


class _Silencing(Ctx):
    """A Ctx that reports each node at most once after an interpolation problem on it."""

    def __init__(self) -> None:
        super().__init__()
        self.silenced: set[int] = set()

    def add(self, node: Node | None, path: PathT | str, message: str, *, file: str = "") -> None:
        if node is not None and id(node) in self.silenced:
            return
        super().add(node, path, message, file=file)


class _TooBig(Exception):
    pass


# ---------------------------------------------------------------------------------------------
# YAML -> Node


def read_yaml(text: str, file: str, ctx: Ctx) -> Node | None:
    """Compose ``text`` into a located ``Node`` tree; None (with a problem) when impossible.

    A text parsed before without a problem comes from the cache of parsed files (``parsed``),
    without importing PyYAML."""
    from rcontainer.profile import parsed

    tree = parsed.load(text, file)
    if tree is None:
        before = (len(ctx.problems), len(ctx.warnings))
        tree = _compose(text, file, ctx)
        if tree is not None and (len(ctx.problems), len(ctx.warnings)) == before:
            parsed.store(text, tree)
    return tree


def _compose(text: str, file: str, ctx: Ctx) -> Node | None:
    import yaml

    loader = getattr(yaml, "CSafeLoader", None) or yaml.SafeLoader
    try:
        ynode = yaml.compose(text, Loader=loader)
    except RecursionError:
        ctx.problems.append(Problem(file, None, None, "", "not valid YAML: nested too deeply"))
        return None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = exc.problem or exc.context or "syntax error"
        if exc.context and exc.problem:
            what = f"{exc.problem} ({exc.context})"
        line = mark.line + 1 if mark is not None else None
        column = mark.column + 1 if mark is not None else None
        ctx.problems.append(Problem(file, line, column, "", f"not valid YAML: {what}"))
        return None
    except yaml.YAMLError as exc:
        line = column = None
        position = getattr(exc, "position", None)
        if isinstance(position, int):
            before = text[:position]
            line = before.count("\n") + 1
            column = position - (before.rfind("\n") + 1) + 1
        reason = getattr(exc, "reason", None) or "cannot be parsed"
        ctx.problems.append(Problem(file, line, column, "", f"not valid YAML: {reason}"))
        return None
    if ynode is None:
        return None
    from yaml.constructor import SafeConstructor

    conv = _Converter(file, ctx, SafeConstructor())
    try:
        return conv.convert(ynode, (), 0)
    except _TooBig:
        ctx.problems.append(
            Problem(file, None, None, "", f"too large: more than {MAX_VALUES} values after expanding aliases")
        )
        return None


class _Converter:
    def __init__(self, file: str, ctx: Ctx, constructor: Any) -> None:
        self.file = file
        self.ctx = ctx
        self.constructor = constructor
        self.count = 0
        self.active: set[int] = set()

    def node(self, y: Any, value: Any, keys: dict[str, Node] | None = None) -> Node:
        mark = y.start_mark
        return Node(value, self.file, mark.line + 1, mark.column + 1, keys)

    def convert(self, y: Any, path: PathT, depth: int) -> Node:
        import yaml

        self.count += 1
        if self.count > MAX_VALUES:
            raise _TooBig
        tag = y.tag or ""
        if tag.startswith("!"):
            self.ctx.add(self.node(y, None), path, f"unsupported YAML tag {tag!r}")
            return self.node(y, None)
        if isinstance(y, yaml.ScalarNode):
            node = self.node(y, self.scalar(y))
            if not y.style and y.tag in TYPED:  # plain: the YAML version may change its type
                node.yaml11 = yaml11_reading(y.value, self.constructor, y)
            return node
        if id(y) in self.active:
            self.ctx.add(self.node(y, None), path, "recursive YAML alias: a value cannot contain itself")
            return self.node(y, None)
        if depth >= MAX_DEPTH:
            self.ctx.add(self.node(y, None), path, f"nested more than {MAX_DEPTH} levels deep")
            return self.node(y, None)
        self.active.add(id(y))
        try:
            if isinstance(y, yaml.SequenceNode):
                return self.node(
                    y, [self.convert(item, (*path, i), depth + 1) for i, item in enumerate(y.value)]
                )
            return self.mapping(y, path, depth)
        finally:
            self.active.discard(id(y))

    def scalar(self, y: Any) -> Any:
        tag = y.tag
        if tag == _STD_TAG + "str":
            return y.value
        c = self.constructor
        try:
            if tag == _STD_TAG + "null":
                return None
            if tag == _STD_TAG + "bool":
                return c.construct_yaml_bool(y)
            if tag in (_STD_TAG + "int", _STD_TAG + "float") and ":" in y.value:
                return y.value  # YAML 1.1 base 60 ("22:22"): never meant in a profile
            if tag == _STD_TAG + "int":
                if len(y.value) > 1 and y.value[0] == "0" and y.value[1].isdigit():
                    return y.value  # YAML 1.1 octal (01777): keep the text, e.g. for a tmpfs mode
                number = c.construct_yaml_int(y)
                # Past 64 bits no profile number is meant (all are bounded well below), and str() of
                # a huge int is refused by Python: keep the text, which each type then judges.
                return number if number.bit_length() <= 64 else y.value
            if tag == _STD_TAG + "float":
                return c.construct_yaml_float(y)
        except (ValueError, ArithmeticError, TypeError):
            return y.value
        return y.value  # timestamps, binary, ...: the text as written

    def mapping(self, y: Any, path: PathT, depth: int) -> Node:
        import yaml

        value: dict[str, Node] = {}
        keys: dict[str, Node] = {}
        merged: dict[str, Node] = {}
        merged_keys: dict[str, Node] = {}
        for ykey, yvalue in y.value:
            if ykey.tag == _STD_TAG + "merge":
                for source in yvalue.value if isinstance(yvalue, yaml.SequenceNode) else [yvalue]:
                    src = self.convert(source, path, depth + 1)
                    if not isinstance(src.value, dict):
                        self.ctx.add(src, path, "expected a mapping (or a list of mappings) after '<<'")
                        continue
                    for k, v in src.value.items():
                        if k not in merged:
                            merged[k] = v
                            merged_keys[k] = (src.keys or {}).get(k, v)
                continue
            if not isinstance(ykey, yaml.ScalarNode):
                kind = "a mapping" if isinstance(ykey, yaml.MappingNode) else "a list"
                self.ctx.add(self.node(ykey, None), path, f"expected a string key, got {kind}")
                continue
            key = ykey.value  # the text as written: `on:` stays "on", not true
            keynode = self.node(ykey, key)
            if key in value:
                first = keys[key]
                self.ctx.add(
                    keynode, (*path, key), f"duplicate key {key!r} (first defined at line {first.line})"
                )
                continue
            keys[key] = keynode
            value[key] = self.convert(yvalue, (*path, key), depth + 1)
        for k, v in merged.items():
            if k not in value:
                value[k] = v
                keys[k] = merged_keys[k]
        return self.node(y, value, keys)


# ---------------------------------------------------------------------------------------------
# Interpolation, extends, merging


def interpolate_tree(node: Node, path: PathT, environ: Mapping[str, str], ctx: _Silencing) -> None:
    v = node.value
    if isinstance(v, str):
        try:
            seen = Recording(environ)
            node.value = interpolate(v, seen)
            for name in seen.missed:
                ctx.warn(node, path, unset_warning(name))
        except InterpolationError as exc:
            ctx.add(node, path, str(exc))
            ctx.silenced.add(id(node))
            node.value = ""
    elif isinstance(v, list):
        for i, item in enumerate(v):
            interpolate_tree(item, (*path, i), environ, ctx)
    elif isinstance(v, dict):
        for key, child in v.items():
            if not key.startswith("x-"):  # extension blocks are dropped, not interpolated
                interpolate_tree(child, (*path, key), environ, ctx)


def merge(base: Node, child: Node) -> Node:
    """Compose ``extends`` semantics: mappings merged recursively, everything else replaced."""
    if isinstance(base.value, dict) and isinstance(child.value, dict):
        value = dict(base.value)
        keys = dict(base.keys or {})
        for k, v in child.value.items():
            value[k] = merge(base.value[k], v) if k in base.value else v
            keys[k] = (child.keys or {}).get(k, v)
        return Node(value, child.file, child.line, child.column, keys)
    return child


def _display(path: Path) -> str:
    text = os.path.normpath(str(path))
    return text


def load_file(
    file: str,
    environ: Mapping[str, str],
    ctx: _Silencing,
    chain: tuple[Path, ...],
    via: Node | None = None,
    where_via: PathT = ("extends",),
) -> Node | None:
    """Read one file and everything it extends into a merged, interpolated tree."""
    try:
        text = schema.read_small_file(file)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        if via is not None:
            ctx.add(via, where_via, f"cannot read base profile {file}: {reason}")
        else:
            ctx.problems.append(Problem(file, None, None, "", f"cannot read: {reason}"))
        return None
    text = text.removeprefix("\ufeff")
    tree = read_yaml(text, file, ctx)
    if tree is None or tree.value is None:
        if not any(p.file == file for p in ctx.problems):
            ctx.problems.append(
                Problem(
                    file, None, None, "", "empty profile: expected a mapping of settings like 'image: ...'"
                )
            )
        return None
    if not isinstance(tree.value, dict):
        ctx.add(
            tree,
            "",
            f"expected a mapping of settings like 'image: ...' at the top level, got {_kind(tree.value)}",
        )
        return None
    interpolate_tree(tree, (), environ, ctx)
    ext = tree.value.pop("extends", None)
    (tree.keys or {}).pop("extends", None)
    if ext is None or ext.value is None:
        return tree
    refs = ext.value if isinstance(ext.value, list) else [ext]
    base: Node | None = None
    for i, ref in enumerate(refs):
        where: PathT = ("extends", i) if isinstance(ext.value, list) else ("extends",)
        if not isinstance(ref.value, str) or not ref.value:
            ctx.add(ref, where, f"expected a file name like 'base.yaml', got {schema.found(ref.value)}")
            continue
        bad = schema.control_character(ref.value)
        if bad is not None:
            ctx.add(
                ref,
                where,
                f"expected a file name like 'base.yaml' (no control characters),"
                f" got {schema.found(ref.value)}: {bad}",
            )
            continue
        target = Path(os.path.expanduser(ref.value))
        if not target.is_absolute():
            target = Path(file).parent / target
        resolved = target.resolve()
        if resolved in chain:
            names = [_display_chain(p, chain[0]) for p in (*chain, resolved)]
            ctx.add(ref, where, f"extends cycle: {' -> '.join(names)}")
            continue
        loaded = load_file(_display(target), environ, ctx, (*chain, resolved), ref, where)
        if loaded is None:
            continue
        base = loaded if base is None else merge(base, loaded)
    if base is None:
        return tree
    base.value.pop("name", None)  # the child's name (or its file name) wins
    (base.keys or {}).pop("name", None)
    return merge(base, tree)


def _display_chain(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root.parent))
    except ValueError:
        return str(path)


def _kind(value: Any) -> str:
    # never the value itself: the file may be a secret named by mistake
    if isinstance(value, list):
        return "a list"
    return f"a single value ({schema.kind_of(value)})"


# ---------------------------------------------------------------------------------------------
# The whole load


def load(path: Path, environ: Mapping[str, str]) -> tuple[dict[str, Any], frozenset[str], tuple[str, ...]]:
    """Load, merge, validate and normalise the profile at ``path``; ProfileError lists every problem.

    Also returns the secret env names, and warnings (``FILE:LINE: key: what``): what loads but
    may not be what the author meant (a variable read while unset, ...)."""
    ctx = _Silencing()
    file = str(path)
    bad = schema.control_character(str(path.absolute()))
    if bad is not None:  # the path is written into generated units and printed in messages
        problem = f"expected a profile file name without control characters: {bad}; rename the file"
        raise ProfileError([Problem(file, None, None, "", problem)])
    environ = with_dotenv(path, environ, ctx)
    tree = load_file(file, environ, ctx, (path.resolve(),))
    if tree is None:
        raise ProfileError(_sorted(ctx.problems))
    data = schema.PROFILE.validate(tree, (), ctx)
    secret_env: set[str] = set()
    _finish(data, tree, path, ctx, secret_env, environ)
    if ctx.problems:
        raise ProfileError(_sorted(ctx.problems))
    return data, frozenset(secret_env), tuple(ctx.warnings)


def _finish(
    data: dict[str, Any], tree: Node, path: Path, ctx: Ctx, secret_env: set[str], environ: Mapping[str, str]
) -> None:
    # name: the profile's own, or its file name
    if data["name"] is None:
        stem = path.stem
        if re.fullmatch(schema.NAME_PATTERN, stem) and len(stem) <= 63:
            data["name"] = stem
        else:
            ctx.add(
                tree,
                "name",
                f"the file name {stem!r} is not a valid container name (lowercase letters, digits, '_', '.', '-');"
                " add a 'name:' key",
            )
    # image or build
    has_image = data["image"] not in (None, "")
    has_build = data["build"] is not None
    if has_image and has_build:
        ctx.add(at(tree, "build"), "build", "expected only one of 'image' or 'build', found both")
    elif not has_image and not has_build:
        ctx.add(
            tree,
            "",
            "expected 'image' (an image reference) or 'build' (a Containerfile context), found neither",
        )
    if data["image"] == "":
        data["image"] = None
    # environment: env_file entries first, then env wins
    env_files = data.pop("env_file")
    env: dict[str, str] = {}
    if env_files is not INVALID:
        files_node = at(tree, "env_file")
        for i, env_path in enumerate(env_files):
            if env_path is INVALID:
                continue
            where: PathT = ("env_file", i) if isinstance(files_node.value, list) else ("env_file",)
            node = at(tree, "env_file", i) if isinstance(files_node.value, list) else files_node
            env.update(read_env_file(env_path, node, where, ctx, environ))
    entries = data["env"]
    if entries is not INVALID:
        for key, entry in entries.items():
            if isinstance(entry, EnvValue):
                env[key] = entry.value
                if entry.secret:
                    secret_env.add(key)
                else:
                    secret_env.discard(key)
    data["env"] = env
    # volumes: one mount per target
    volumes = data["volumes"]
    if volumes is not INVALID:
        seen: dict[str, int] = {}
        for i, vol in enumerate(volumes):
            if vol is INVALID:
                continue
            if vol["target"] in seen:
                ctx.add(
                    at(tree, "volumes", i),
                    ("volumes", i),
                    f"target {vol['target']!r} is already mounted by volumes[{seen[vol['target']]}]",
                )
            else:
                seen[vol["target"]] = i
    networks, network = data.get("networks"), data["network"]
    if networks and network is not INVALID and network["mode"] != "private":
        ctx.add(
            at(tree, "networks"),
            "networks",
            f"joining networks needs network mode 'private' (the default), not {network['mode']!r}",
        )
    checks.dev_shell(data, tree, ctx)
    checks.runtime(data, tree, ctx)
    checks.sensitive_mounts(data, tree, ctx)


def _sorted(problems: list[Problem]) -> list[Problem]:
    order: dict[str, int] = {}
    for p in problems:
        order.setdefault(p.file, len(order))
    return sorted(problems, key=lambda p: (order[p.file], p.line or 0, p.column or 0))
