"""What the engine tells people: the status model (``model``), faults per side
(``health``), events (``events``) and the state file other processes read
(``state_file``).

Re-exports nothing: import the module that holds a name.
"""
