"""The admin's searches, kept out of URLs as the staff pages' are (clinic.core.search_terms).

The admin's own search box is a GET form (`?q=Jane`), and its autocomplete asks
`/admin/autocomplete/?term=jan`: both would write what someone searched a patient by
into access logs, browser history and Referer headers. Here the search box POSTs, its
terms wait in the session behind `?s=<key>`, and the autocomplete asks by POST (with
the CSRF token). A `q` in a changelist's URL is ignored."""

from __future__ import annotations

from django import forms
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.contrib.admin.views.main import IS_FACETS_VAR, PAGE_VAR, SEARCH_VAR, ChangeList
from django.contrib.admin.widgets import AutocompleteSelect
from django.http import HttpRequest, HttpResponseRedirect, QueryDict

from clinic.core.search_terms import PARAM, recall, remember

SEARCH_FORM_TEMPLATE = "admin/search_by_post_change_list.html"


class SearchByPostChangeList(ChangeList):
    """A changelist searching by the terms behind `?s=`, never by a `q` in the URL;
    its links (pages, filters, sorting, back from a record) carry the key."""

    def __init__(self, request: HttpRequest, *args, **kwargs) -> None:
        key = request.GET.get(PARAM, "")
        terms = recall(request).get(SEARCH_VAR, "")
        asked = request.GET
        request.GET = _replaced(asked, drop=(PARAM, SEARCH_VAR), add={SEARCH_VAR: terms} if terms else {})
        try:
            super().__init__(request, *args, **kwargs)
        finally:
            request.GET = asked
        for params in (self.params, self.filter_params):
            params.pop(SEARCH_VAR, None)
            if terms:
                params[PARAM] = key if params is self.params else [key]
        # The links made before the swap, made again: with the key, not the terms.
        self.remove_facet_link = self.get_query_string(remove=[IS_FACETS_VAR])
        self.add_facet_link = self.get_query_string({IS_FACETS_VAR: True})
        self.preserved_filters = self.model_admin.get_preserved_filters(request)


class SearchByPostMixin:
    """For a ModelAdmin whose search box, or autocomplete, takes patient data."""

    change_list_template = SEARCH_FORM_TEMPLATE

    def get_changelist(self, request: HttpRequest, **kwargs):
        return SearchByPostChangeList

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = PostAutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def changelist_view(self, request: HttpRequest, extra_context=None):
        if request.method == "POST" and SEARCH_VAR in request.POST and "action" not in request.POST:
            return _search_redirect(request)
        return super().changelist_view(request, extra_context)


def _search_redirect(request: HttpRequest) -> HttpResponseRedirect:
    """To the changelist as it was (filters, sorting, popup), from its first page,
    with the new terms' key. 303: refreshing the results posts nothing again."""
    terms = request.POST[SEARCH_VAR].strip()[:200]
    add = {PARAM: remember(request, {SEARCH_VAR: terms})} if terms else {}
    query = _replaced(request.GET, drop=(PARAM, SEARCH_VAR, PAGE_VAR), add=add).urlencode()
    return HttpResponseRedirect(request.path + (f"?{query}" if query else ""), status=303)


def _replaced(params: QueryDict, *, drop: tuple[str, ...], add: dict[str, str]) -> QueryDict:
    result = params.copy()
    for name in drop:
        result.pop(name, None)
    for name, value in add.items():
        result[name] = value
    return result


class PostAutocompleteSelect(AutocompleteSelect):
    """The admin's autocomplete, asking by POST: the typed letters are a patient's name."""

    def build_attrs(self, base_attrs, extra_attrs=None):
        attrs = super().build_attrs(base_attrs, extra_attrs=extra_attrs)
        attrs["data-ajax--type"] = "POST"
        return attrs

    @property
    def media(self):
        # Naming jquery.init.js first keeps the script after it when media are merged.
        return super().media + forms.Media(js=["admin/js/jquery.init.js", "js/admin-autocomplete-post.js"])


class PostAutocompleteJsonView(AutocompleteJsonView):
    """Django's autocomplete answers GET only; this one answers POST only."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args, **kwargs):
        request.GET = request.POST  # the view reads its parameters from GET
        return self.get(request, *args, **kwargs)
