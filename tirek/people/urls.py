from django.urls import path

from tirek.core import views

app_name = "people"
urlpatterns = [
    path("", views.home, name="person_list"),
    path("units/", views.home, name="unit_list"),
]
