"""Tirek as a SCIM 2.0 service provider (RFC 7643/7644) at /scim/v2/, read-only.

Other systems sync people (Users, with the enterprise extension) and groups (org units and
system roles) from Tirek. The protocol (routing, filters, paging, attributes, ETags, errors)
is scim2-server's `ScimService`; this package supplies a read-only storage over the people and
access models (storage.py) and the Django view that authenticates and adapts requests
(views.py).
"""
