"""Descent on several hosts made of network namespaces (`make bench-cluster`, the `cluster` test).

`netns` builds the network (a bridge, a namespace and a veth pair per host) and removes it;
`cluster` starts PostgreSQL, Redis, two Uvicorn servers behind HAProxy, two workers and beat
in their namespaces and runs the load generator through the proxy while it kills a web server
and a worker.
"""
