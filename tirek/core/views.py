from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from tirek.core.roles import roles_for


@login_required
def home(request):
    return render(request, "core/home.html", {"roles": roles_for(request.user)})
