"""The words both sides of the wire share: the API's names and codes (``wire``), the
contact document's one typed definition (``document``, with ``formats`` for its text rules
and ``problems`` for a refusal in words), the batch body (``batch``) and the canonical JSON
and hash (``canonical``). Imported by the engine's client and by the sandbox alike; imports
nothing else of the engine.

Re-exports nothing: import the module that holds a name.
"""
