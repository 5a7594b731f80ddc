"""The agent and what it runs: the loop (``agent``), reading a pass (``pass_reader``) in the
source thread (``source_worker``), uploading (``uploader``), the online checkpoint
(``checkpoint``), reconciliation (``consistency``), the liveness watch (``liveness``), the
retry policy (``retry``), and its counters, memory release and crash-test failpoints.

Re-exports nothing: import the module that holds a name.
"""
