"""Independent peers the tests and ``benchmarks/`` check bindata against (not shipped in the wheel).

- :mod:`tests.peers.rooms`: the same shoebox room in pyroomacoustics' image-source engine;
- :mod:`tests.peers.score`: sed_eval 0.2.1's segment-based metrics on the same frame activity.

Nothing under ``bindata/`` imports them (``tests/test_code_rules.py``).
"""
