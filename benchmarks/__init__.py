"""Benchmarks: every speed target of the product, measured, in one command.

``python -m benchmarks`` (see README) builds the data, runs each measurement, prints one
table and writes it to benchmarks/RESULTS.md with a description of the machine.
"""
