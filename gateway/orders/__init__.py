"""The order book: a PO with everything that names it, and the quantities on its lines."""
