"""Cards are managed through services; the admin only lists them (superusers)."""

from django.contrib import admin

from tirek.cards.models import Card, Turnstile


@admin.register(Card)
class CardAdmin(admin.ModelAdmin):
    list_display = ("number", "kind", "person", "status", "valid_until")
    list_filter = ("kind", "status")
    search_fields = ("number",)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Turnstile)
class TurnstileAdmin(admin.ModelAdmin):
    list_display = ("name", "location", "is_active", "last_seen_at")
    readonly_fields = ("token_hash",)

    def has_add_permission(self, request) -> bool:
        return False  # services.register_turnstile shows the token once
