"""The reconciler's service layer: make each cluster match the database, and record what is really there.

Level-triggered and idempotent. The modules read as the pipeline:

- ``apply``: ``reconcile_route`` brings one route to its approved revision (or removes it);
- ``sync``: ``sync_cluster`` compares everything Portico manages on a cluster with what should be there, using
  one list per kind (``snapshot``), repairs drift, prunes leftovers and hands unsettled routes to
  ``reconcile_route``;
- ``observe``: what the cluster has for a route, as the pure diagnostics' input;
- ``status``: the route's status row from the diagnostics' verdict, and health changes announced;
- ``objects``: what is Portico's and whether a live object matches the desired one.

The cluster itself is probed by clusters/probe.py. Objects without Portico's label are never modified or deleted.
"""

from .apply import Result, reconcile_route, refused_publication
from .sync import SyncReport, sync_cluster

__all__ = ["Result", "SyncReport", "reconcile_route", "refused_publication", "sync_cluster"]
