"""Measurement: psychometric instruments (graded response models on the latent
states) and laboratory measurements (qPCR, strain detection, 16S sequencing, the
blood panel), each with its own measurement error."""

from . import biomarkers, instruments

__all__ = ["biomarkers", "instruments"]
