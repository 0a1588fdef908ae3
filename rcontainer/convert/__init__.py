"""Conversions to and from other formats: compose import, kube export, Quadlet."""
