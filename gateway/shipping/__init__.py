"""Ship notices to Amazon (856 / DESADV) and their carton labels: build, pre-check, render, queue.

A ship notice is built from what the warehouse reported (its ASN, stored as a ``shipment``
document) and the PO; :mod:`gateway.shipping.checks` holds every rule it must pass before
it leaves, :mod:`gateway.shipping.labels` draws the GS1-128 carton labels and
:mod:`gateway.shipping.send` renders it through the partner's outbound mapping and queues it.
"""
