"""Every feature's ``contract.py`` (its component's data as TypedDicts) written as the TypeScript declarations beside
it (``contract.d.ts``), so ``tsc --checkJs`` checks each field a JS module reads against the one declaration.

``python -m explorer.shared.browser.contracts --write`` regenerates them; without ``--write`` it lists the stale
ones and exits 1 (tests/test_contracts.py asserts the committed files are current). The mapping: str -> string,
int and float -> number, bool -> boolean, None -> null, list[X] and tuple[X, ...] -> X[], tuple[X, Y] -> [X, Y],
dict[str, X] -> Record<string, X>, dict[Literal[...], X] -> Partial<Record<..., X>>, unions and Literal -> unions,
a TypedDict -> an interface (keys of a total=False one optional), a NewType -> a branded alias of its base type
(a PackedFloat32 is a string no other string can stand in for), a module-level Literal alias -> a type alias (its
uses are spelled out). Docstrings and field comments become JSDoc.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import io
import json
import os
import sys
import tokenize
import types
import typing
from pathlib import Path
from typing import Any

EXPLORER = Path(__file__).resolve().parents[2]
REPO = EXPLORER.parent
CONTRACT = "contract.py"
GENERATED = "contract.d.ts"


def contract_modules() -> list[str]:
    """The module name of every contract.py under explorer/, sorted."""
    paths = sorted(EXPLORER.rglob(CONTRACT))
    return [".".join(p.relative_to(REPO).with_suffix("").parts) for p in paths]


def _comments(source: str) -> dict[int, str]:
    """Line number -> the text of the comment on it."""
    found = {}
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            found[token.start[0]] = token.string.lstrip("#").strip()
    return found


def _comment_for(line: int, comments: dict[int, str], lines: list[str]) -> str:
    """The comment after a statement on ``line``, else the comment lines right above it."""
    if line in comments and lines[line - 1].lstrip()[:1] != "#":
        return comments[line]
    above = []
    at = line - 1
    while at in comments and lines[at - 1].lstrip().startswith("#"):
        above.insert(0, comments[at])
        at -= 1
    return " ".join(above)


def _jsdoc(text: str, indent: str = "") -> list[str]:
    text = " ".join(text.split())
    return [f"{indent}/** {text.replace('*/', '* /')} */"] if text else []


class _Writer:
    """The declarations of one contract module, and what it imports from the others."""

    def __init__(self, module: types.ModuleType, target: Path) -> None:
        self.module = module
        self.target = target
        self.imports: dict[str, set[str]] = {}

    def name(self, tp: Any) -> str:
        """A declared type's name, imported when another contract declares it."""
        owner = tp.__module__
        if owner != self.module.__name__:
            if not owner.endswith(".contract"):
                raise TypeError(f"{tp.__name__} is declared in {owner}: a contract may use other contracts' types only")
            self.imports.setdefault(owner, set()).add(tp.__name__)
        return tp.__name__

    def ts(self, tp: Any) -> str:
        """The TypeScript spelling of the Python type ``tp``."""
        simple = {str: "string", int: "number", float: "number", bool: "boolean", type(None): "null", None: "null"}
        if tp in simple:
            return simple[tp]
        if isinstance(tp, typing.NewType) or typing.is_typeddict(tp):
            return self.name(tp)
        origin, args = typing.get_origin(tp), typing.get_args(tp)
        if origin is typing.Literal:
            return " | ".join(json.dumps(a) for a in args)
        if origin in (typing.Union, types.UnionType):
            return " | ".join(self.ts(a) for a in args)
        if origin is list or (origin is tuple and len(args) == 2 and args[1] is Ellipsis):
            item = self.ts(args[0])
            return f"({item})[]" if " | " in item or " & " in item else f"{item}[]"
        if origin is tuple:
            return "[" + ", ".join(self.ts(a) for a in args) + "]"
        if origin is dict:
            key, value = args
            if typing.get_origin(key) is typing.Literal:
                return f"Partial<Record<{self.ts(key)}, {self.ts(value)}>>"
            if key is str:
                return f"Record<string, {self.ts(value)}>"
        raise TypeError(f"{self.module.__name__}: no TypeScript for {tp!r} (use plain JSON types)")

    def interface(self, cls: type, doc: dict[str, str]) -> list[str]:
        out = _jsdoc(cls.__doc__ or "")
        out.append(f"export interface {cls.__name__} {{")
        for field, tp in typing.get_type_hints(cls).items():
            out += _jsdoc(doc.get(field, ""), "  ")
            optional = "?" if field in cls.__optional_keys__ else ""
            out.append(f"  {field}{optional}: {self.ts(tp)};")
        return [*out, "}"]

    def alias(self, new_type: Any, comment: str) -> list[str]:
        base = self.ts(new_type.__supertype__)
        return [
            *_jsdoc(comment),
            f'export type {new_type.__name__} = {base} & {{ readonly __brand: "{new_type.__name__}" }};',
        ]

    def text(self) -> str:
        """The whole contract.d.ts."""
        path = Path(self.module.__file__)
        source = path.read_text(encoding="utf-8")
        comments, lines = _comments(source), source.splitlines()
        blocks = []
        for node in ast.parse(source).body:
            name = node.name if isinstance(node, ast.ClassDef) else _assigned(node)
            value = getattr(self.module, name, None) if name else None
            if isinstance(node, ast.ClassDef) and typing.is_typeddict(value):
                fields = {
                    n.target.id: _comment_for(n.lineno, comments, lines)
                    for n in node.body
                    if isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name)
                }
                blocks.append(self.interface(value, fields))
            elif isinstance(value, typing.NewType) and value.__module__ == self.module.__name__:
                blocks.append(self.alias(value, _comment_for(node.lineno, comments, lines)))
            elif typing.get_origin(value) is typing.Literal:
                comment = _comment_for(node.lineno, comments, lines)
                blocks.append([*_jsdoc(comment), f"export type {name} = {self.ts(value)};"])
        source_name = self.module.__name__.replace(".", "/") + ".py"
        head = [
            f"// Generated from {source_name} by `python -m explorer.shared.browser.contracts --write`: do not edit."
        ]
        for owner in sorted(self.imports):
            names = ", ".join(sorted(self.imports[owner]))
            head.append(f'import type {{ {names} }} from "{self._relative(owner)}";')
        return "\n\n".join(["\n".join(head), *("\n".join(b) for b in blocks)]) + "\n"

    def _relative(self, owner: str) -> str:
        other = REPO.joinpath(*owner.split(".")).parent / "contract"
        relative = Path(os.path.relpath(other, self.target.parent)).as_posix()
        return relative if relative.startswith(".") else f"./{relative}"


def _assigned(node: ast.stmt) -> str | None:
    if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
        return node.targets[0].id
    return None


def declarations(module: types.ModuleType, target: Path | None = None) -> str:
    """The TypeScript declarations of a contract module, for the file ``target`` (default: contract.d.ts beside
    the module), whose place decides the relative paths of what it imports."""
    return _Writer(module, target or Path(module.__file__).with_name(GENERATED)).text()


def generated() -> dict[Path, str]:
    """Every contract.d.ts as the contracts say it should read now."""
    out = {}
    for name in contract_modules():
        module = importlib.import_module(name)
        out[Path(module.__file__).with_name(GENERATED)] = declarations(module)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help="write the stale contract.d.ts files")
    args = parser.parse_args(argv)
    texts = generated()
    stale = [p for p, text in texts.items() if not p.is_file() or p.read_text(encoding="utf-8") != text]
    for path in stale:
        if args.write:
            path.write_text(texts[path], encoding="utf-8")
        print(("wrote " if args.write else "stale: ") + path.relative_to(REPO).as_posix())
    return 0 if args.write or not stale else 1


if __name__ == "__main__":
    sys.exit(main())
