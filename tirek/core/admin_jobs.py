"""Read-only admin pages for periodic jobs and their runs.

The schedule is owned by the code (`tirek.core.jobs`) and the worker; the admin only shows it.
"""

from django.contrib import admin

from tirek.core.models import JobRun, PeriodicJob


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(PeriodicJob)
class PeriodicJobAdmin(ReadOnlyAdmin):
    list_display = [
        "name",
        "interval",
        "enabled",
        "next_run_at",
        "last_started_at",
        "last_finished_at",
        "last_status",
    ]
    list_filter = ["enabled", "last_status"]
    search_fields = ["name"]


@admin.register(JobRun)
class JobRunAdmin(ReadOnlyAdmin):
    list_display = [
        "job_name",
        "scheduled_for",
        "status",
        "started_at",
        "finished_at",
        "worker_id",
    ]
    list_filter = ["status", "job_name"]
    search_fields = ["job_name", "worker_id", "task_result_id"]
    date_hierarchy = "scheduled_for"
