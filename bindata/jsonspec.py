"""Typed specs: frozen dataclasses that read and write one JSON object exactly.

The synthesis config (:class:`bindata.config.SynthConfig`) and the scene
(:class:`bindata.scene.spec.Scene`) are such specs. Each field of a spec stands for one key
of its JSON object; the Python name may say more than the key on disk (``room_preset`` for
``rooms``), and :func:`json_field` records the key. The JSON Schemas (``schemas/``) stay the
contract on disk; a spec is how the library holds a checked object in memory.

:meth:`JsonSpec.from_json` reads an object and :meth:`JsonSpec.to_json` writes it back, so that
``to_json(from_json(d)) == d`` with the same keys in the same order and the same values: a
JSON list is held as a tuple and written as a list, a number is kept as read (an int stays an
int, a float a float), and the kind-specific parts a spec keeps as a mapping (:data:`JSON`) are
copied as they are. A spec made in Python writes its keys in the order of its fields (the order
bindata makes them in); one read from JSON in another order (a file written with sorted keys)
writes that order again. A key the spec does not know, or a required key that is missing, is
an error naming its key path.
``from_json`` checks the shape only; the values are checked where a spec is made from user
input (:func:`bindata.config.load_config`, :func:`bindata.dataset.load_scene`).

Specs are frozen: make a changed copy with :func:`dataclasses.replace`. They pickle (Dask
sends configs to its workers). ``spec[json_key]`` still reads a value the way the dict of
earlier versions held it, for code written against that form (a room kind of another
package, say); it warns (:class:`DeprecationWarning`), and the library itself reads
attributes.
"""

from __future__ import annotations

import copy
import sys
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar

from .errors import BindataError

#: Field kinds: how a field's value is held in Python and written to JSON.
VALUE = "value"  #: a JSON number, string, boolean or null, held as it is
TUPLE = "tuple"  #: a JSON list (of such values), held as a tuple
SPEC = "spec"  #: a JSON object, held as a nested spec
SPECS = "specs"  #: a JSON list of objects, held as a tuple of nested specs
JSON = "json"  #: any JSON value (a kind-specific mapping), held as a copy of it

_META = "bindata.jsonspec"


@dataclass(frozen=True)
class _Key:
    key: str | None
    kind: str
    spec: Any
    optional: bool


def json_field(
    key: str | None = None,
    *,
    kind: str = VALUE,
    spec: Any = None,
    optional: bool = False,
):
    """A spec field: its JSON ``key`` (default: the field's name), its ``kind``.

    Parameters
    ----------
    key : str, optional
        The key on disk, where it differs from the Python name.
    kind : str
        :data:`VALUE`, :data:`TUPLE`, :data:`SPEC`, :data:`SPECS` or :data:`JSON`.
    spec : type, optional
        The nested spec class of a :data:`SPEC` or :data:`SPECS` field.
    optional : bool
        The key may be absent: the field is then ``None`` (its default), and ``None`` is not
        written. (A key present with the value ``null`` is a :data:`VALUE` or :data:`TUPLE`
        field that holds ``None``.)
    """
    if kind in (SPEC, SPECS) and spec is None:
        raise TypeError(f"a {kind} field needs its spec class")
    meta = {_META: _Key(key, kind, spec, optional)}
    if optional:
        return field(default=None, metadata=meta)
    return field(metadata=meta)


def _spec_fields(spec) -> list:
    """The fields of a spec class or object that stand for JSON keys."""
    return [f for f in fields(spec) if f.name != "_json_order"]


def _key_of(f) -> _Key:
    info = f.metadata.get(_META) or _Key(None, VALUE, None, False)
    return _Key(info.key or f.name, info.kind, info.spec, info.optional)


def _spec_class(info: _Key, owner: type) -> type:
    """The nested spec class (a name is looked up in the owner's module, for forward use)."""
    if isinstance(info.spec, str):
        return getattr(sys.modules[owner.__module__], info.spec)
    return info.spec


@dataclass(frozen=True)
class JsonSpec:
    """Base of the typed specs: a frozen dataclass read from and written to one JSON object.

    Subclasses set :attr:`error` (the exception a malformed object raises) and :attr:`what`
    (how messages name the object), and declare their fields in the order of the keys on disk.

    Examples
    --------
    >>> from dataclasses import dataclass
    >>> from bindata.jsonspec import TUPLE, JsonSpec, json_field
    >>> @dataclass(frozen=True)
    ... class Band(JsonSpec):
    ...     name: str
    ...     range_m: tuple[float, float] = json_field("range", kind=TUPLE)
    >>> band = Band.from_json({"name": "near", "range": [0.4, 2]})
    >>> band.range_m
    (0.4, 2)
    >>> band.to_json()
    {'name': 'near', 'range': [0.4, 2]}
    >>> Band.from_json({"name": "far"})
    Traceback (most recent call last):
    ...
    bindata.errors.BindataError: spec: range: missing
    """

    #: Exception class of a malformed object.
    error: ClassVar[type[BindataError]] = BindataError
    #: How messages name the object at the top level (``config``, ``scene``).
    what: ClassVar[str] = "spec"
    #: The key order of the object read, where it is not the fields' (a file written with
    #: sorted keys); :meth:`to_json` writes it again. Not compared, not shown.
    _json_order: tuple[str, ...] | None = field(
        default=None, kw_only=True, compare=False, repr=False
    )

    @classmethod
    def json_keys(cls) -> dict[str, str]:
        """Python field name -> the JSON key it reads and writes, in the order bindata writes."""
        return {f.name: _key_of(f).key for f in _spec_fields(cls)}

    @classmethod
    def from_json(cls, data: Mapping, *, where: str = ""):
        """The spec of a JSON object (a dict as :func:`json.load` reads it).

        Parameters
        ----------
        data : mapping
            The object; it is not changed, and the spec holds copies of its mappings.
        where : str, keyword-only
            Key path of ``data`` in a larger object, for messages (``"events.3"``).

        Raises
        ------
        BindataError
            Of the class's :attr:`error`: ``data`` is not an object, lacks a required key or
            has a key the spec does not know (every such key named, with its path).
        """
        problems: list[str] = []
        spec = cls._read_json(data, where=where, problems=problems)
        if problems:
            raise cls.error(f"{cls.what}: " + "; ".join(problems))
        return spec

    @classmethod
    def _read_json(cls, data, *, where: str, problems: list[str]):
        """The spec of ``data`` at key path ``where``, or None after adding its problems to
        ``problems``."""
        prefix = f"{where}." if where else ""
        if not isinstance(data, Mapping):
            problems.append(f"{where or '<root>'}: must be an object, got {type(data).__name__}")
            return None
        before, values, known = len(problems), {}, set()
        for f in _spec_fields(cls):
            info = _key_of(f)
            known.add(info.key)
            if info.key not in data:
                if not info.optional:
                    problems.append(f"{prefix}{info.key}: missing")
                continue
            if info.optional and data[info.key] is None:
                problems.append(f"{prefix}{info.key}: must not be null (leave it out)")
                continue
            values[f.name] = _read(
                info, data[info.key], cls, where=f"{prefix}{info.key}", problems=problems
            )
        problems += [f"{prefix}{k}: unknown key" for k in data if k not in known]
        if len(problems) > before:
            return None
        order = tuple(data)
        if order != tuple(k for k in cls.json_keys().values() if k in data):
            values["_json_order"] = order
        return cls(**values)

    def to_json(self) -> dict:
        """The JSON object: ``json.dumps(spec.to_json())`` is what bindata writes."""
        out = {}
        for f in _spec_fields(self):
            info = _key_of(f)
            value = getattr(self, f.name)
            if value is None and info.optional:
                continue
            out[info.key] = _write(info, value)
        if self._json_order is None:
            return out
        first = {k: out[k] for k in self._json_order if k in out}
        return {**first, **{k: v for k, v in out.items() if k not in first}}

    # -- the dict form of earlier versions, read-only ------------------------------------------
    def _field_of(self, key: str):
        for f in _spec_fields(self):
            info = _key_of(f)
            if info.key == key and not (info.optional and getattr(self, f.name) is None):
                return f, info
        raise KeyError(key)

    def __getitem__(self, key: str):
        """``spec[json_key]``: the value as the dict of earlier versions held it (deprecated).

        Nested objects come back as specs (so ``cfg["room"]["rt60_s"]`` still reads), lists
        as lists.
        """
        f, info = self._field_of(key)
        warnings.warn(
            f"{type(self).__name__}[{key!r}] reads the dict form of earlier versions; "
            f"use the attribute .{f.name}",
            DeprecationWarning,
            stacklevel=2,
        )
        value = getattr(self, f.name)
        return value if info.kind in (SPEC, SPECS, JSON) or value is None else _write(info, value)

    def get(self, key: str, default=None):
        """``spec.get(json_key, default)``, as ``dict.get`` (deprecated, see ``spec[key]``)."""
        try:
            self._field_of(key)
        except KeyError:
            return default
        return self[key]

    def __contains__(self, key: str) -> bool:
        """Whether the JSON object has ``key`` (an optional key: when its field is set)."""
        try:
            self._field_of(key)
        except KeyError:
            return False
        return True


def _read(info: _Key, value, owner: type, *, where: str, problems: list[str]):
    if info.kind == VALUE:
        return value
    if info.kind == JSON:
        return copy.deepcopy(value)
    if info.kind == SPEC:
        return _spec_class(info, owner)._read_json(value, where=where, problems=problems)
    if value is None and info.kind == TUPLE:
        return None
    if not isinstance(value, (list, tuple)):
        problems.append(f"{where}: must be a list, got {type(value).__name__}")
        return None
    if info.kind == TUPLE:
        return tuple(value)
    cls = _spec_class(info, owner)
    return tuple(
        cls._read_json(item, where=f"{where}.{k}", problems=problems)
        for k, item in enumerate(value)
    )


def _write(info: _Key, value):
    if info.kind == VALUE:
        return value
    if info.kind == JSON:
        return copy.deepcopy(value)
    if info.kind == SPEC:
        return value.to_json()
    if value is None:
        return None
    if info.kind == TUPLE:
        return list(value)
    return [item.to_json() for item in value]


__all__ = ["JSON", "JsonSpec", "SPEC", "SPECS", "TUPLE", "VALUE", "json_field"]
