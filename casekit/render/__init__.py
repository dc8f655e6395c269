"""Rendering: the page shell, the safe xlsx writer and figures."""
