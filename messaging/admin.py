"""The moderation queue: reports, with the reported messages, and what staff can do about them.

Staff see a reported message and the reported person's other messages to the reporter, and
nothing else of anyone's conversations.
"""

from django.contrib import admin, messages
from django.template.loader import render_to_string

from messaging import services
from messaging.models import Message, Report

CONTEXT_MESSAGES = 20


class OpenFirst(admin.SimpleListFilter):
    title = "status"
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        return [("open", "Open (the queue)"), ("closed", "Handled"), ("all", "All")]

    def queryset(self, request, queryset):
        value = self.value() or "open"
        if value == "open":
            return queryset.filter(status=Report.Status.OPEN)
        if value == "closed":
            return queryset.exclude(status=Report.Status.OPEN)
        return queryset

    def choices(self, changelist):
        current = self.value() or "open"
        for lookup, title in self.lookup_choices:
            yield {
                "selected": current == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    class Media:
        css = {"all": ("css/moderation-admin.css",)}

    list_display = (
        "created_at",
        "reported_person",
        "reason",
        "message_excerpt",
        "reporter_person",
        "status",
        "reports_about_person",
    )
    list_filter = (OpenFirst, "reason")
    list_select_related = ("reported__profile", "reporter__profile", "message")
    search_fields = ("reported__email", "reported__profile__display_name", "details")
    date_hierarchy = "created_at"
    actions = ("dismiss", "warn", "suspend")
    readonly_fields = (
        "reporter",
        "reported",
        "reason",
        "details",
        "created_at",
        "status",
        "resolved_at",
        "resolved_by",
        "reported_message",
        "context_messages",
    )
    fields = readonly_fields
    ordering = ("-created_at",)

    def has_add_permission(self, request):
        return False

    @admin.display(description="Reported person", ordering="reported__profile__display_name")
    def reported_person(self, report):
        return _person(report.reported)

    @admin.display(description="Reported by")
    def reporter_person(self, report):
        return _person(report.reporter) if report.reporter else "(deleted account)"

    @admin.display(description="Message")
    def message_excerpt(self, report):
        if report.message is None:
            return "(the person)"
        body = report.message.body
        return body if len(body) <= 80 else body[:79] + "…"

    @admin.display(description="Reports about them")
    def reports_about_person(self, report):
        return Report.objects.filter(reported_id=report.reported_id).count()

    @admin.display(description="Reported message")
    def reported_message(self, report):
        if report.message is None:
            return "No single message: the report is about the person."
        return render_to_string(
            "messaging/admin/_messages.html",
            {"items": [report.message], "highlight": report.message.pk},
        )

    @admin.display(description="Their recent messages to the reporter")
    def context_messages(self, report):
        if report.reporter is None:
            return "—"
        recent = list(
            Message.objects.filter(
                sender=report.reported,
                conversation__participants__user=report.reporter,
            ).order_by("-id")[:CONTEXT_MESSAGES]
        )
        return render_to_string(
            "messaging/admin/_messages.html",
            {"items": list(reversed(recent)), "highlight": report.message_id},
        )

    @admin.action(description="Dismiss: no action needed")
    def dismiss(self, request, queryset):
        count = services.reports_dismiss(reports=list(queryset), moderator=request.user)
        self.message_user(request, f"Dismissed {count} report(s).", messages.SUCCESS)

    @admin.action(description="Warn the reported person by email")
    def warn(self, request, queryset):
        count = services.reports_warn(reports=list(queryset), moderator=request.user)
        self.message_user(request, f"Warned the people in {count} report(s).", messages.SUCCESS)

    @admin.action(description="Suspend the reported person's account")
    def suspend(self, request, queryset):
        count = services.reports_suspend(reports=list(queryset), moderator=request.user)
        self.message_user(
            request,
            f"Suspended the accounts in {count} report(s). They cannot log in and no longer "
            "appear in matches; reactivate them from the user's page (Active).",
            messages.WARNING,
        )


def _person(user):
    profile = getattr(user, "profile", None)
    name = profile.name if profile is not None else user.email
    return f"{name} <{user.email}>{'' if user.is_active else ' (suspended)'}"
