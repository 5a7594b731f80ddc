"""Talking to the online service: the client (``client``), reaching it from a practice's
network (``network``, ``service_url``), what "unreachable" was (``unreachable``), and body
compression (``compression``).

Re-exports nothing: import the module that holds a name.
"""
