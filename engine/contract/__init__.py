"""The words both sides of the wire share: the API's names and codes (``wire``), the
contact document's shape (``document``) and its canonical JSON and hash (``canonical``).
Imported by the engine's client and by the sandbox alike; imports nothing else of the engine.

Re-exports nothing: import the module that holds a name.
"""
