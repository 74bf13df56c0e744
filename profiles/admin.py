"""Admin for people and the taxonomy: curation (approve, reject, merge), import and export.

Writes that matter for matching go through profiles.services, so match recomputes are
queued the same way as when people edit their own profiles.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from intch.inputs import CleanInputsForm
from profiles import services
from profiles.models import (
    Category,
    Profile,
    Tag,
    TagAlias,
    TaggedInterest,
    TaggedValue,
    normalise_tag_name,
)
from profiles.taxonomy_io import taxonomy_export_csv, taxonomy_export_json


def _count_taggings(through):
    """Taggings of the outer tag in one through table, as a correlated subquery."""
    per_tag = (
        through.objects.filter(tag=OuterRef("pk"))
        .order_by()
        .values("tag")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(per_tag, output_field=IntegerField()), Value(0))


def _plural(count, word, plural=None):
    return f"{count} {word if count == 1 else plural or word + 's'}"


# --- Forms ------------------------------------------------------------------------------


class TagAdminForm(CleanInputsForm, forms.ModelForm):
    class Meta:
        model = Tag
        fields = ("name", "slug", "kind", "category", "status", "description")

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        normalized = normalise_tag_name(name)
        if not normalized:
            raise ValidationError("Type a name.")
        clash = Tag.objects.filter(normalized_name=normalized).exclude(pk=self.instance.pk).first()
        if clash is not None:
            raise ValidationError(
                f"“{clash.name}” already exists (names that differ only in case, accents or "
                "punctuation are the same tag)."
            )
        alias = TagAlias.objects.select_related("tag").filter(normalized_name=normalized).first()
        if alias is not None and alias.tag_id != self.instance.pk:
            raise ValidationError(
                f"“{name}” is an alias of “{alias.tag.name}”. Edit that tag, or remove the "
                "alias first."
            )
        return name

    def clean_kind(self):
        kind = self.cleaned_data["kind"]
        if self.instance.pk and kind != self.instance.kind and getattr(self.instance, "usage", 0):
            raise ValidationError(
                "People already use this tag; its kind cannot change. Merge it into a tag of "
                "the other kind's list instead, or create a new tag."
            )
        return kind


class CategoryAdminForm(CleanInputsForm, forms.ModelForm):
    class Meta:
        model = Category
        fields = ("name", "slug", "description", "position")


class ProfileAdminForm(CleanInputsForm, forms.ModelForm):
    # The admin lists the fields it shows (ProfileAdmin.fieldsets).
    class Meta:
        model = Profile
        fields = ("display_name", "headline", "bio", "city", "country")


class TagAliasForm(CleanInputsForm, forms.ModelForm):
    class Meta:
        model = TagAlias
        fields = ("normalized_name",)
        labels = {"normalized_name": "Alias"}

    def clean_normalized_name(self):
        normalized = normalise_tag_name(self.cleaned_data["normalized_name"])
        if not normalized:
            raise ValidationError("Type an alias.")
        clash = Tag.objects.filter(normalized_name=normalized).first()
        if clash is not None:
            raise ValidationError(f"“{clash.name}” is a tag of its own; merge it instead.")
        return normalized


class TagMergeForm(CleanInputsForm, forms.Form):
    target = forms.ModelChoiceField(
        queryset=Tag.objects.none(),
        label="Merge into",
        help_text="People who had a selected tag get this one; the old names become aliases.",
    )

    def __init__(self, *args, kind, source_ids, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].queryset = (
            Tag.objects.filter(kind=kind).exclude(pk__in=source_ids).select_related("category")
        )
        self.fields["target"].label_from_instance = self._label

    @staticmethod
    def _label(tag):
        details = [tag.category.name if tag.category else "no category"]
        if tag.status != Tag.Status.APPROVED:
            details.append(tag.get_status_display().lower())
        return f"{tag.name} ({', '.join(details)})"


class TaxonomyImportForm(CleanInputsForm, forms.Form):
    file = forms.FileField(
        label="Taxonomy file",
        help_text="A .json or .csv file, at most 5 MB, as written by Export JSON or Export CSV. "
        "Existing tags are kept; only new categories, tags and aliases are added.",
    )


# --- Taxonomy ------------------------------------------------------------------------------


class TagAliasInline(admin.TabularInline):
    model = TagAlias
    form = TagAliasForm
    extra = 1
    verbose_name = "alias"
    verbose_name_plural = "aliases (other spellings that find this tag)"


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    form = TagAdminForm
    change_list_template = "admin/profiles/tag/change_list.html"
    list_display = ("name", "kind", "category", "status", "usage_count", "alias_list")
    list_editable = ("category", "status")
    list_filter = ("kind", "category", "status")
    list_select_related = ("category",)
    list_per_page = 100
    search_fields = ("name", "aliases__normalized_name")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("normalized_name", "usage_count", "proposed_by", "created_at")
    fieldsets = (
        (None, {"fields": ("name", "slug", "kind", "category", "status", "description")}),
        ("Record", {"fields": ("normalized_name", "usage_count", "proposed_by", "created_at")}),
    )
    inlines = (TagAliasInline,)
    actions = ("approve_tags", "reject_tags", "merge_tags")
    ordering = ("name",)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(usage=_count_taggings(TaggedInterest) + _count_taggings(TaggedValue))
            .prefetch_related("aliases")
        )

    @admin.display(description="people", ordering="usage")
    def usage_count(self, tag):
        return getattr(tag, "usage", 0)

    @admin.display(description="aliases")
    def alias_list(self, tag):
        return ", ".join(alias.normalized_name for alias in tag.aliases.all())

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "category" and formfield is not None:
            # Evaluated once: otherwise each editable row of the list queries the categories.
            formfield.choices = list(formfield.choices)
        return formfield

    def save_model(self, request, obj, form, change):
        # Status goes through the service, which tells the apps (match recomputes, search).
        new_status = obj.status
        status_changed = change and "status" in form.changed_data
        if status_changed:
            obj.status = form.initial["status"]
        super().save_model(request, obj, form, change)
        if status_changed:
            services.tags_set_status(tag_ids=[obj.pk], status=new_status)
            obj.status = new_status

    def save_related(self, request, form, formsets, change):
        # After the aliases typed in this form are saved: a rename keeps the old name as one.
        super().save_related(request, form, formsets, change)
        if change and {"name", "slug"} & set(form.changed_data):
            services.tag_renamed(
                tag=form.instance,
                old_name=form.initial["name"],
                old_slug=form.initial["slug"],
            )

    def delete_model(self, request, obj):
        services.tags_delete(tag_ids=[obj.pk])

    def delete_queryset(self, request, queryset):
        services.tags_delete(tag_ids=list(queryset.values_list("pk", flat=True)))

    # --- actions ---

    @admin.action(description="Approve selected tags", permissions=["change"])
    def approve_tags(self, request, queryset):
        count = services.tags_set_status(
            tag_ids=list(queryset.values_list("pk", flat=True)), status=Tag.Status.APPROVED
        )
        self.message_user(request, f"Approved {_plural(count, 'tag')}.", messages.SUCCESS)

    @admin.action(description="Reject selected tags", permissions=["change"])
    def reject_tags(self, request, queryset):
        count = services.tags_set_status(
            tag_ids=list(queryset.values_list("pk", flat=True)), status=Tag.Status.REJECTED
        )
        self.message_user(request, f"Rejected {_plural(count, 'tag')}.", messages.SUCCESS)

    @admin.action(description="Merge selected tags into…", permissions=["change", "delete"])
    def merge_tags(self, request, queryset):
        sources = list(queryset.select_related("category").order_by("name"))
        kinds = {tag.kind for tag in sources}
        if len(kinds) > 1:
            interests = ", ".join(f"“{t.name}”" for t in sources if t.kind == Tag.Kind.INTEREST)
            values = ", ".join(f"“{t.name}”" for t in sources if t.kind == Tag.Kind.VALUE)
            self.message_user(
                request,
                f"Nothing merged: {interests} (interests) and {values} (values) are of "
                "different kinds. Merge interests into an interest and values into a value.",
                messages.ERROR,
            )
            return None
        form = TagMergeForm(
            request.POST if "post" in request.POST else None,
            kind=kinds.pop(),
            source_ids=[tag.pk for tag in sources],
        )
        if form.is_valid():
            target = form.cleaned_data["target"]
            try:
                with transaction.atomic():
                    moved = sum(services.tag_merge(source=tag, target=target) for tag in sources)
            except ValidationError as error:
                self.message_user(
                    request, "Nothing merged: " + " ".join(error.messages), messages.ERROR
                )
                return None
            names = ", ".join(f"“{tag.name}”" for tag in sources)
            self.message_user(
                request,
                f"Merged {names} into “{target.name}”: {_plural(moved, 'tagging')} moved; "
                f"the old {'name is an alias' if len(sources) == 1 else 'names are aliases'} now.",
                messages.SUCCESS,
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": f"Merge {_plural(len(sources), 'tag')}",
            "opts": self.model._meta,
            "sources": sources,
            "form": form,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "media": self.media + form.media,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/profiles/tag/merge.html", context)

    # --- import and export ---

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("import/", wrap(self.import_view), name="profiles_tag_import"),
            path("export.json", wrap(self.export_json_view), name="profiles_tag_export_json"),
            path("export.csv", wrap(self.export_csv_view), name="profiles_tag_export_csv"),
            *super().get_urls(),
        ]

    def export_json_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        return self._download(taxonomy_export_json(), "json", "application/json")

    def export_csv_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        # The byte-order mark makes spreadsheets read the file as UTF-8.
        return self._download("\ufeff" + taxonomy_export_csv(), "csv", "text/csv")

    @staticmethod
    def _download(content, extension, content_type):
        response = HttpResponse(content, content_type=f"{content_type}; charset=utf-8")
        filename = f"intch-taxonomy-{timezone.now():%Y-%m-%d}.{extension}"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response

    def import_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = TaxonomyImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            uploaded = form.cleaned_data["file"]
            try:
                created = services.taxonomy_import_file(uploaded=uploaded, filename=uploaded.name)
            except ValidationError as error:
                form.add_error(
                    "file",
                    f"Nothing was imported from {uploaded.name}. " + " ".join(error.messages),
                )
            else:
                self.message_user(
                    request, _import_summary(uploaded.name, created), messages.SUCCESS
                )
                return redirect(reverse("admin:profiles_tag_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": "Import taxonomy",
            "opts": self.model._meta,
            "form": form,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/profiles/tag/import.html", context)


def _import_summary(filename, created):
    if not any(created.values()):
        return f"{filename}: nothing new, the taxonomy already has everything in this file."
    categories = _plural(created["categories"], "category", "categories")
    tags = _plural(created["tags"], "tag")
    aliases = _plural(created["aliases"], "alias", "aliases")
    return f"Imported {filename}: created {categories}, {tags} and {aliases}."


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    form = CategoryAdminForm
    list_display = ("name", "slug", "position", "tag_count", "description")
    list_editable = ("position",)
    prepopulated_fields = {"slug": ("name",)}
    search_fields = ("name", "slug")
    ordering = ("position", "name")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(tag_total=Count("tags"))

    @admin.display(description="tags", ordering="tag_total")
    def tag_count(self, category):
        return category.tag_total


@admin.register(TagAlias)
class TagAliasAdmin(admin.ModelAdmin):
    form = TagAliasForm
    list_display = ("normalized_name", "tag", "tag_kind")
    list_select_related = ("tag",)
    search_fields = ("normalized_name", "tag__name")
    autocomplete_fields = ("tag",)
    fields = ("normalized_name", "tag")

    @admin.display(description="kind", ordering="tag__kind")
    def tag_kind(self, alias):
        return alias.tag.get_kind_display()


# --- People ---------------------------------------------------------------------------------


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    form = ProfileAdminForm
    list_display = ("display_name", "email", "city", "country", "discoverable", "onboarded_at")
    list_filter = ("discoverable", "open_to_meet", ("onboarded_at", admin.EmptyFieldListFilter))
    list_select_related = ("user",)
    search_fields = ("display_name", "user__email", "headline", "city")
    raw_id_fields = ("user",)
    show_full_result_count = False
    ordering = ("-created_at",)
    readonly_fields = ("goal_list", "interest_list", "value_list", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("user", "display_name", "headline", "bio", "avatar")}),
        ("Work and place", {"fields": ("current_role", "company", "industry", "city", "country")}),
        ("Links", {"fields": ("linkedin_url", "website_url")}),
        (
            "Matching",
            {
                "fields": (
                    "goal_list",
                    "interest_list",
                    "value_list",
                    "open_to_meet",
                    "discoverable",
                )
            },
        ),
        (
            "Account",
            {"fields": ("email_notifications", "onboarded_at", "created_at", "updated_at")},
        ),
    )

    @admin.display(description="email", ordering="user__email")
    def email(self, profile):
        return profile.user.email

    @admin.display(description="goals")
    def goal_list(self, profile):
        return ", ".join(profile.goal_labels) or "—"

    @admin.display(description="interests")
    def interest_list(self, profile):
        return ", ".join(tag.name for tag in profile.interests.order_by("name")) or "—"

    @admin.display(description="values")
    def value_list(self, profile):
        return ", ".join(tag.name for tag in profile.values.order_by("name")) or "—"

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if form.changed_data:
            # As when people edit their own profile: search, matches and cached pages follow.
            services.profile_changed_by_staff(profile=obj, fields=form.changed_data)
