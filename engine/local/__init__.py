"""What this computer keeps and how an engine run is configured from it: where files live
(``paths``, ``private_files``), settings and the saved setup (``settings``,
``setup_store``), the secret (``secrets``), the ``--source`` value (``source_url``), the
run's ``EngineConfig`` (``config``, built by ``profile``), logs and bundled resources.

Re-exports nothing: import the module that holds a name.
"""
