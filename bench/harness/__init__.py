"""The benchmark harness: scenarios, in-process WSGI timing, call counts, memory, servers, report."""
