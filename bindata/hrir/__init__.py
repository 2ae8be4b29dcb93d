"""HRIR sets: the container, SOFA input/output, built-in head models and near-field synthesis."""

from .hrirset import HRIRSet, HRIRShell

__all__ = ["HRIRSet", "HRIRShell"]
