from django.contrib import admin

from analysis.models import Job


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ("id", "status", "attempts", "created_at", "finished_at")
    list_filter = ("status",)
    readonly_fields = ("id", "result", "attempts", "created_at", "updated_at", "finished_at")
    search_fields = ("id", "text")
