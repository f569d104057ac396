from django.urls import path

from tirek.manualwork import views

app_name = "manualwork"

urlpatterns = [
    path("", views.worklist, name="worklist"),
    path("items/<int:pk>/", views.item_detail, name="item_detail"),
    path("items/<int:pk>/password/", views.item_password, name="item_password"),
    path("systems/<slug:code>/batch/", views.batch_create, name="batch_create"),
    path("batches/", views.batch_list, name="batch_list"),
    path("batches/<int:pk>/", views.batch_detail, name="batch_detail"),
    path("batches/<int:pk>/download/", views.batch_download, name="batch_download"),
    path("batches/<int:pk>/close/", views.batch_close, name="batch_close"),
]
