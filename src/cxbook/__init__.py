"""cxbook: compile republished articles into an EPUB, PDFs and SCORM course bundles."""

__version__ = "0.1.0"
