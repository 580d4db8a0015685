"""Builders of a RouterOS device's intended state, one module per group of menus."""
