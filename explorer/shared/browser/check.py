"""Does a payload match its contract? ``check(value, SlidersData)`` walks a component's data against the TypedDict
that declares it (explorer/<feature>/contract.py) and raises ContractError naming the first place it does not.

Exact keys (a renamed or extra key fails, as tsc fails the JS side), JSON types as the browser will see them (an int
is not a bool, a float is finite, a numpy scalar other than float64 is refused: JSON cannot carry it), packed arrays
whose base64 holds whole values of their dtype, label strings of digits. Tests run it on payloads the real builders
make from the shipped models.
"""

from __future__ import annotations

import math
import types
import typing
from typing import Any

from explorer.shared.browser import packing
from explorer.shared.browser.contract import PACKED, Digits


class ContractError(TypeError):
    """A payload that does not match its contract; the message names the place, e.g. data.models.vae.spec.hash."""


def check(value: Any, contract: Any, where: str = "data") -> None:
    """Raise ContractError unless ``value`` is what the type ``contract`` declares."""
    if contract is Any:
        return
    if typing.is_typeddict(contract):
        return _check_typed_dict(value, contract, where)
    if isinstance(contract, typing.NewType):
        check(value, contract.__supertype__, where)
        return _check_new_type(value, contract, where)
    origin, args = typing.get_origin(contract), typing.get_args(contract)
    if origin in (typing.Union, types.UnionType):
        return _check_union(value, args, where)
    if origin is typing.Literal:
        if not any(type(value) is type(a) and value == a for a in args):
            raise ContractError(f"{where} is {value!r}, not one of {list(args)}")
        return None
    if origin in (list, tuple):
        return _check_sequence(value, contract, where)
    if origin is dict:
        return _check_mapping(value, args, where)
    return _check_plain(value, contract, where)


def _check_typed_dict(value: Any, contract: Any, where: str) -> None:
    if not isinstance(value, dict):
        raise ContractError(f"{where} is a {type(value).__name__}, not a {contract.__name__} dict")
    hints = typing.get_type_hints(contract)
    missing = sorted(contract.__required_keys__ - value.keys())
    unknown = sorted(str(k) for k in value.keys() - hints.keys())
    if missing or unknown:
        raise ContractError(f"{where} ({contract.__name__}) lacks {missing} and has keys it does not declare {unknown}")
    for key, item in value.items():
        check(item, hints[key], f"{where}.{key}")


def _check_new_type(value: str, contract: Any, where: str) -> None:
    if contract in PACKED:
        try:
            packing.unpack(value, PACKED[contract])
        except ValueError as error:
            raise ContractError(f"{where} is not a {contract.__name__}: {error}") from None
    elif contract is Digits and not all("0" <= c <= "9" for c in value):
        raise ContractError(f"{where} holds characters other than the digits 0-9")


def _check_union(value: Any, args: tuple[Any, ...], where: str) -> None:
    problems = []
    for option in args:
        try:
            check(value, option, where)
            return
        except ContractError as error:
            problems.append(str(error))
    raise ContractError(" and ".join(problems) if len(problems) < 3 else f"{where} matches none of {list(args)}")


def _check_sequence(value: Any, contract: Any, where: str) -> None:
    if not isinstance(value, list | tuple):  # both become JSON arrays
        raise ContractError(f"{where} is a {type(value).__name__}, not a list")
    args = typing.get_args(contract)
    if typing.get_origin(contract) is tuple and not (len(args) == 2 and args[1] is Ellipsis):
        if len(value) != len(args):
            raise ContractError(f"{where} has {len(value)} items, not {len(args)}")
        for i, (item, option) in enumerate(zip(value, args, strict=True)):
            check(item, option, f"{where}[{i}]")
        return
    for i, item in enumerate(value):
        check(item, args[0], f"{where}[{i}]")


def _check_mapping(value: Any, args: tuple[Any, ...], where: str) -> None:
    if not isinstance(value, dict):
        raise ContractError(f"{where} is a {type(value).__name__}, not a dict")
    key_type, value_type = args
    for key, item in value.items():
        check(key, key_type, f"{where} key {key!r}")
        check(item, value_type, f"{where}.{key}")


def _check_plain(value: Any, contract: Any, where: str) -> None:
    if contract in (None, type(None)):
        ok = value is None
    elif contract is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    elif contract is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif contract in (str, bool):
        ok = isinstance(value, contract)
    else:
        raise ContractError(f"{where}: the contract uses {contract!r}, which JSON does not carry")
    if not ok:
        raise ContractError(
            f"{where} is {type(value).__name__} {value!r:.60}, not {getattr(contract, '__name__', contract)}"
        )
