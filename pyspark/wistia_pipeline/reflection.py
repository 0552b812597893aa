"""Local only: Py4J remembers the names it resolved, so that building a run's plans asks the JVM once per name.

Every ``F.col``, ``F.lit``, ``F.when``… reaches the JVM through ``sc._jvm.functions.<name>``: Py4J resolves
``functions`` (a reflection command to the JVM) and then ``<name>`` on it (another) before the call itself; a list of
columns (``_to_seq``) resolves ``PythonUtils`` and ``java.util.ArrayList`` the same way. Py4J remembers none of it. A
warm daily run of the job (30 medias, 50 bronze objects) sent ~36,200 commands to the JVM, ~11,600 of them these
lookups; with them remembered ~24,800 (issue 13). Its warm runs, on one JVM, measured here beside other work: 14.4 and
13.9 s without, 10.5 and 8.7 s with (load 1.3-2); 13.5-14.1 s without, 11.3-13.6 s with (load 1-3). The rest of the
commands: the calls themselves, and Py4J releasing the JVM objects Python dropped.

What is remembered: a name that resolved to a package, a class or a static method, per gateway connection (on the
client object: a new SparkContext's gateway starts empty). What is not: a static field (its value can change; Py4J
reads it each time) and a name that did not resolve (the error is raised each time, as before). A class's members and
a package's classes do not change while a JVM runs; a JVM view's imports only grow (pyspark imports its packages when
the gateway starts). Glue's session is left as Glue ships it (glue_job.session); the local runs, the Glue twin and
pytest's session use this. Py4J 0.10.9.7: https://github.com/py4j/py4j/blob/0.10.9.7/py4j-python/src/py4j/java_gateway.py
(JVMView, JavaPackage, JavaClass ``__getattr__``).
"""

from __future__ import annotations

from py4j import java_gateway as jg

#: what a lookup may be remembered as: a package, a class, a static method (not a field's value)
_LOOKUPS = (jg.JavaPackage, jg.JavaClass, jg.JavaMember)
_INSTALLED = "_wistia_remembered"


def _remembering(getattr_, key):
    def __getattr__(self, name):
        client = self._gateway_client
        cache = client.__dict__.setdefault("_wistia_lookups", {})
        k = key(self, name)
        hit = cache.get(k)
        if hit is not None:
            return hit
        value = getattr_(self, name)
        if isinstance(value, _LOOKUPS):
            cache[k] = value
        return value

    setattr(__getattr__, _INSTALLED, True)
    return __getattr__


def remember_lookups() -> None:
    """Makes Py4J remember its name lookups (idempotent; for the whole Python process)."""
    for cls, key in (
        (jg.JVMView, lambda s, n: ("view", s._id, n)),
        (jg.JavaPackage, lambda s, n: ("package", s._jvm_id, s._fqn, n)),
        (jg.JavaClass, lambda s, n: ("class", s._fqn, n)),
    ):
        if not getattr(cls.__getattr__, _INSTALLED, False):
            cls.__getattr__ = _remembering(cls.__getattr__, key)
