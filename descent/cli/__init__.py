"""`descent`, the command line: train locally, log in, submit and watch, reproduce runs.

A client of the HTTP API and the WebSockets (CONTRACT §3, §4) plus the engine for local work:
it never imports Django (a test checks it), so it runs anywhere the engine does.
"""
