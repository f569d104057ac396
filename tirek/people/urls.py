from django.urls import path

from tirek.people import views
from tirek.people.imports import views as import_views

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
    path("imports/", import_views.import_list, name="import_list"),
    path("imports/upload/", import_views.import_upload, name="import_upload"),
    path("imports/runs/<int:pk>/", import_views.import_run, name="import_run"),
    path("imports/runs/<int:pk>/apply/", import_views.import_apply, name="import_apply"),
    path(
        "imports/runs/<int:pk>/report.csv", import_views.import_run_export, name="import_run_export"
    ),
    path("imports/sources/new/", import_views.import_source_edit, name="import_source_create"),
    path("imports/sources/<int:pk>/", import_views.import_source_edit, name="import_source_edit"),
]
