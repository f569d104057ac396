"""Django admin (superusers only). Everyday edits go through Tirek's own pages and services."""

from django.contrib import admin

from tirek.people.models import Affiliation, OrgUnit, Person, Position


class AffiliationInline(admin.TabularInline):
    model = Affiliation
    extra = 0
    autocomplete_fields = ["unit", "position"]


@admin.register(OrgUnit)
class OrgUnitAdmin(admin.ModelAdmin):
    list_display = ["code", "name_kk", "name_ru", "kind", "parent", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name_kk", "name_ru", "name_en"]
    autocomplete_fields = ["parent", "head"]
    readonly_fields = ["path"]


@admin.register(Position)
class PositionAdmin(admin.ModelAdmin):
    list_display = ["code", "title_kk", "title_ru", "category"]
    list_filter = ["category"]
    search_fields = ["code", "title_kk", "title_ru", "title_en"]


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ["last_name", "first_name", "patronymic", "email"]
    search_fields = ["last_name", "first_name", "last_name_latin", "email", "iin"]
    raw_id_fields = ["user"]
    inlines = [AffiliationInline]


@admin.register(Affiliation)
class AffiliationAdmin(admin.ModelAdmin):
    list_display = ["person", "kind", "unit", "position", "group", "status"]
    list_filter = ["kind", "status", "source"]
    search_fields = ["person__last_name", "group", "external_id"]
    autocomplete_fields = ["person", "unit", "position"]
