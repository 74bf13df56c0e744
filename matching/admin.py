"""Admins see the matching runs and can start a full recompute."""

from django.contrib import admin, messages
from django.shortcuts import redirect
from django.urls import path, reverse

from matching.models import Match, MatchRun
from matching.tasks import recompute_all_matches_task


@admin.register(MatchRun)
class MatchRunAdmin(admin.ModelAdmin):
    list_display = (
        "pk",
        "reason",
        "status",
        "started_at",
        "finished_at",
        "duration_display",
        "people",
        "progress",
        "matches_written",
    )
    list_filter = ("status",)
    readonly_fields = [field.name for field in MatchRun._meta.fields]
    change_list_template = "admin/matching/matchrun/change_list.html"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="duration")
    def duration_display(self, run):
        return f"{run.duration.total_seconds():.1f} s" if run.duration else "—"

    @admin.display(description="chunks")
    def progress(self, run):
        return f"{run.chunks_done} / {run.chunks_total}"

    def get_urls(self):
        return [
            path(
                "recompute/",
                self.admin_site.admin_view(self.recompute_view),
                name="matching_matchrun_recompute",
            ),
            *super().get_urls(),
        ]

    def recompute_view(self, request):
        """POST only: queue a full recompute."""
        if request.method != "POST" or not request.user.has_perm("matching.view_matchrun"):
            return redirect(reverse("admin:matching_matchrun_changelist"))
        recompute_all_matches_task.delay(reason=f"admin button ({request.user.email})")
        messages.success(
            request, "A full recompute is queued; it shows in this list when it starts."
        )
        return redirect(reverse("admin:matching_matchrun_changelist"))


@admin.register(Match)
class MatchAdmin(admin.ModelAdmin):
    list_display = ("user", "rank", "candidate", "score", "computed_at")
    list_select_related = ("user", "candidate")
    raw_id_fields = ("user", "candidate")
    search_fields = ("user__email", "candidate__email")
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
