"""Blueprints (see :mod:`erlen.sansio.blueprints`)."""

from __future__ import annotations

from .sansio.blueprints import Blueprint, BlueprintSetupState

__all__ = ["Blueprint", "BlueprintSetupState"]
