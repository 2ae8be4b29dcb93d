"""Named plug-ins: the ones built into bindata and those installed through an entry-point group.

Room kinds (:mod:`bindata.rooms.registry`, group ``bindata.rooms``) and HRIR models
(:mod:`bindata.hrir.registry`, group ``bindata.hrirs``) are both found this way. A
:class:`PluginRegistry` knows a group, a table of built-in names (``name -> "module:attribute"``,
imported when first used) and how to make a plug-in of a loaded object; it answers the names,
whether a name is known, and the plug-in of a name (made once per process)::

    [project.entry-points."bindata.rooms"]
    cave = "my_package.rooms:CaveRoom"

An installed entry point cannot replace a built-in name. A name that is unknown, or whose entry
point fails to load, is one error of the registry's class naming the name, the known names and
the group.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from importlib import metadata


class PluginRegistry:
    """The plug-ins of one entry-point group.

    Parameters
    ----------
    group : str
        The entry-point group (``"bindata.rooms"``).
    builtin : dict
        Built-in names -> ``"module:attribute"``.
    what : str
        What a plug-in is, for messages (``"room kind"``); ``what + "s"`` is the plural.
    error : type
        The :class:`~bindata.errors.BindataError` subclass raised.
    make : callable
        ``make(obj, name)``: the plug-in of the loaded object ``obj`` (a class to instantiate or
        an instance), checked, with its ``name`` set; raises ``error`` when unusable.
    """

    def __init__(self, group: str, builtin: dict, *, what: str, error: type, make: Callable):
        self.group, self.builtin, self.what = group, dict(builtin), what
        self.error, self.make = error, make
        self._lock = threading.Lock()
        self._points: dict | None = None
        self._made: dict = {}

    def entry_points(self) -> dict:
        """Name -> entry point of every plug-in: the installed packages', then the built-in
        table as entry points of the same group (so a built-in name is never replaced)."""
        with self._lock:
            if self._points is None:
                installed = {ep.name: ep for ep in metadata.entry_points(group=self.group)}
                builtin = {
                    name: metadata.EntryPoint(name=name, value=target, group=self.group)
                    for name, target in self.builtin.items()
                }
                self._points = {**installed, **builtin}
            return self._points

    def names(self) -> list[str]:
        """Every available name (built in and installed), sorted."""
        return sorted(self.entry_points())

    def __contains__(self, name) -> bool:
        return str(name) in self.entry_points()

    def get(self, name: str):
        """The plug-in registered as ``name`` (made on first use, then kept).

        Raises
        ------
        BindataError
            Of the registry's class: no built-in or installed plug-in has that name, its entry
            point fails to load, or ``make`` refuses what it loads.
        """
        with self._lock:
            if name in self._made:
                return self._made[name]
        points = self.entry_points()
        if name not in points:
            raise self.error(
                f"unknown {self.what} {name!r}: known {self.what.split()[-1]}s are "
                f"{self.names()} (built in, or installed through the entry-point group "
                f"{self.group!r})"
            )
        try:
            obj = points[name].load()
        except Exception as exc:  # a broken plug-in: say which one
            raise self.error(
                f"{self.what} {name!r}: entry point {points[name].value!r} fails to load: {exc}"
            ) from exc
        plugin = self.make(obj, name)
        with self._lock:
            return self._made.setdefault(name, plugin)

    def clear(self) -> None:
        """Forget the entry points and plug-ins found so far (after installing a package at
        run time; tests)."""
        with self._lock:
            self._points = None
            self._made.clear()


__all__ = ["PluginRegistry"]
