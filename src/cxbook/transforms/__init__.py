"""Transforms between the readers and the renderers: chapter HTML normalized once, links
resolved once. Each reports problems as located diagnostics; none does I/O."""
