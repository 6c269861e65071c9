from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from .models import Route


@login_required
def dashboard(request):
    routes = Route.objects.visible_to(request.user).live().with_related()[:50]
    return render(request, "routes/dashboard.html", {"routes": routes})
