"""Supervise long-running processes: start, watch, restart with backoff, stop cleanly.

``model`` and ``backoff`` are the pure core (no I/O); ``supervisor`` runs child processes
with asyncio, ``health`` serves their state over HTTP, ``state`` records what runs on disk
so a later command can find (and stop) it, and ``stack`` describes the netops services that
``netops up`` runs.
"""
