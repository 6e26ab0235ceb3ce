"""Errors of the oracle library.

``oracle`` never imports ``protocol``, so it has its own small tree; the node wraps these at
its boundary (``protocol.errors.ProofError``)::

    OracleError
    ├── MalformedInput      a file or value that is not what it claims (bad JSON, wrong
    │                       length, a number outside the field, a point off the curve)
    ├── UnsatisfiedCircuit  a witness that breaks a constraint (e.g. a score that does not
    │                       follow from the outputs)
    └── KeyMismatch         keys made for another circuit or shape
"""

from __future__ import annotations


class OracleError(Exception):
    """Root of every error the oracle library raises on purpose."""


class MalformedInput(OracleError, ValueError):
    """Input that cannot be parsed or is out of range: the caller's data is wrong."""


class UnsatisfiedCircuit(OracleError):
    """A witness that does not satisfy the circuit: there is nothing true to prove."""


class KeyMismatch(OracleError):
    """Keys that were made for a different circuit than the one being proved or verified."""
