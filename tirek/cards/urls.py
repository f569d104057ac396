from django.urls import path

from tirek.cards import views

app_name = "cards"
urlpatterns = [
    path("cards/", views.card_list, name="card_list"),
    path("cards/my/", views.my_card, name="my_card"),
    path("cards/my/live/", views.my_card_live, name="my_card_live"),
    path("cards/figures/", views.figures, name="figures"),
    path("cards/issue/", views.card_issue, name="card_issue"),
    path("cards/issue/bulk/", views.card_bulk_issue, name="card_bulk_issue"),
    path("cards/sheet.pdf", views.sheet_pdf, name="sheet_pdf"),
    path("cards/<int:pk>/", views.card_detail, name="card_detail"),
    path("cards/<int:pk>/qr.svg", views.card_qr, name="card_qr"),
    path("cards/<int:pk>/card.pdf", views.card_pdf, name="card_pdf"),
    path("cards/<int:pk>/action/", views.card_action, name="card_action"),
    path("cards/<int:pk>/photo/", views.card_photo, name="card_photo"),
    path("cards/<int:pk>/chip/", views.card_chip, name="card_chip"),
    path("cards/identifiers/", views.identifier_exports, name="identifier_exports"),
    # Public: what the QR opens, the paste form, and what offline verifiers fetch.
    path("verify/", views.verify_page, name="verify"),
    path("V/", views.verify_app, name="verify_app"),
    path("V/sw.js", views.service_worker, name="service_worker"),
    path("V/<str:code>", views.verify_code, name="verify_code"),
    path("V/<str:code>/photo", views.verify_photo, name="verify_photo"),
    path(".well-known/tirek/trust-list", views.trust_list, name="trust_list"),
    path("sl/<int:list_id>", views.status_list, name="status_list"),
]
