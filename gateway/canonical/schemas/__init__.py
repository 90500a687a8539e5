"""The XSD of the canonical documents' XML form (package data)."""
