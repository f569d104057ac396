from django.urls import path

from tirek.people import views

app_name = "people"
urlpatterns = [
    path("", views.person_list, name="person_list"),
    path("<int:pk>/", views.person_detail, name="person_detail"),
    path("<int:pk>/personal-data/", views.person_personal_data, name="person_personal_data"),
    path("<int:pk>/photo/", views.person_photo, name="person_photo"),
    path("<int:pk>/edit/", views.person_edit, name="person_edit"),
    path("units/", views.unit_list, name="unit_list"),
    path("units/new/", views.unit_edit, name="unit_create"),
    path("units/<int:pk>/", views.unit_detail, name="unit_detail"),
    path("units/<int:pk>/edit/", views.unit_edit, name="unit_edit"),
]
