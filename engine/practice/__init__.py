"""Rules about the practice itself: the names of its ``PracticeSetting`` rows
(``setting_rows``) and its online login and activation record (``rules``).

Re-exports nothing: import the module that holds a name.
"""
