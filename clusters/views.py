"""The clusters page: each cluster's last known health and what to fix. (clusters never imports routes.)"""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from . import live_demo
from .models import Cluster


@login_required
def cluster_list(request):
    """Every cluster with its probe results; everyone signed in may look, platform engineers fix."""
    clusters = Cluster.objects.defer("kubeconfig_encrypted", "foreign_ingresses")
    return render(request, "clusters/cluster_list.html", {"clusters": clusters, "live_demo": live_demo.read_note()})
