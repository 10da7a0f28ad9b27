"""Renderers: one module per output format, each turning the model into output bytes."""
