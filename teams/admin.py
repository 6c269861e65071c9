import copy

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from core.admin_forms import ServiceCheckedForm

from . import services
from .models import Team, TeamNamespace


class TeamAdminForm(ServiceCheckedForm):
    """Checked with teams.services, which the admin then saves through; namespaces are checked in the inline."""

    class Meta:
        model = Team
        fields = "__all__"
        help_texts = {
            "auto_approve": "Approve this team's revisions automatically when every check passes (never "
            "a change a platform engineer wrote). Turning it on is audited and every "
            "platform engineer is told."
        }

    def check(self, candidate, data):
        services.validate_team(candidate)


class TeamNamespaceFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        try:
            services.validate_team(copy.copy(self.instance), namespaces=_namespace_rows(self))
        except ValidationError as exc:
            problems = exc.message_dict.get("namespaces")
            if problems:
                raise ValidationError(problems) from None


def _namespace_rows(formset) -> list[tuple]:
    return [
        (form.cleaned_data["cluster"], form.cleaned_data["namespace"])
        for form in formset.forms
        if form.cleaned_data
        and not form.cleaned_data.get("DELETE")
        and form.cleaned_data.get("cluster")
        and form.cleaned_data.get("namespace")
    ]


class TeamNamespaceInline(admin.TabularInline):
    model = TeamNamespace
    formset = TeamNamespaceFormSet
    extra = 1
    autocomplete_fields = ["cluster"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    form = TeamAdminForm
    list_display = [
        "slug",
        "name",
        "domain_list",
        "allow_node_port",
        "allow_load_balancer",
        "allow_plain_http",
        "auto_approve",
    ]
    list_filter = ["auto_approve", "allow_node_port", "allow_load_balancer", "allow_plain_http"]
    search_fields = ["slug", "name"]
    filter_horizontal = ["members"]
    inlines = [TeamNamespaceInline]

    @admin.display(description="Domains")
    def domain_list(self, obj):
        return ", ".join(obj.domains or [])

    # The team, its members and its namespaces are one write through teams.services (which audits), made once
    # the inline rows are known: save_related, which Django calls right after save_model.
    def save_model(self, request, obj, form, change):
        pass

    def save_related(self, request, form, formsets, change):
        rows = next((_namespace_rows(f) for f in formsets if isinstance(f, TeamNamespaceFormSet)), None)
        save = services.update_team if change else services.create_team
        save(form.instance, user=request.user, members=form.cleaned_data.get("members", []), namespaces=rows)
        for formset in formsets:
            # What the admin's own history message reads (the audit event holds the namespaces themselves).
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []

    def delete_model(self, request, obj):
        services.delete_team(obj, user=request.user)

    def delete_queryset(self, request, queryset):
        for team in queryset:
            self.delete_model(request, team)
