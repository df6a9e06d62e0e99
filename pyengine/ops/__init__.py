"""Differentiable ops as Function classes, one file per family; forward and backward side by side."""
