"""Pages for making a story in the browser and bringing its articles in: a new story, the batch
page (add links, files, pasted text; preview; store), and managing the story's articles later.
Rules live in ``intake.py``/``services.py`` and ``annotations.permissions``."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_htmx.middleware import HtmxDetails

from annotations import permissions
from articles.models import Article
from textkernel.params import parse_int

from articles import services as article_services
from textkernel.boilerplate import detect, lines_of

from . import intake as intake_services
from . import selectors, services
from .forms import ArticleMetaForm, ItemChoiceForm, StoryForm
from .models import Intake, IntakeItem

#: Text a paste box may hold (characters); a long article is ~30,000.
MAX_PASTE = 500_000
REASON_LABELS = {
    "ad_notice": gettext_lazy("ad notice"), "related": gettext_lazy("related articles"),
    "comments": gettext_lazy("comments"), "shortcode": gettext_lazy("shortcode"),
    "image": gettext_lazy("image"), "source_link": gettext_lazy("link to original"),
    "dateline": gettext_lazy("dateline"), "share": gettext_lazy("share buttons"),
    "tags": gettext_lazy("tags"), "title": gettext_lazy("Title"),
}  # fmt: skip


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


# --- a new story -------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def story_new(request: HtmxHttpRequest) -> HttpResponse:
    desks = selectors.desks_for_new_story(user=request.user)
    site_wide = permissions.can_create_story(request.user, None)
    if not desks and not site_wide:
        raise PermissionDenied(_("Only curators of a desk (or staff) can create stories."))
    form = StoryForm(request.POST or None, desks=desks, site_wide=site_wide)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                story = intake_services.story_create(
                    user=request.user, title=form.cleaned_data["title"],
                    note=form.cleaned_data["note"], desk=form.cleaned_data["desk"],
                    language=form.cleaned_data["language"],
                )  # fmt: skip
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                return redirect("newsroom:intake", slug=story.slug)
        status = 400
    return render(request, "newsroom/story_new.html", {"form": form}, status=status)


# --- the batch page ----------------------------------------------------------------------------


def _intake_context(request, story, *, intake: Intake | None, errors=None) -> dict:
    previews, articles = (
        selectors.intake_preview(intake=intake) if intake is not None else ([], [])
    )
    forms = {}
    for preview in previews:
        item = preview.item
        forms[item.pk] = ItemChoiceForm(
            prefix=f"i{item.pk}",
            initial={
                "title": item.title, "source": item.source_name, "author": item.author,
                "published_on": item.published_on, "language": item.language,
                "translated_from": item.translated_from, "original": item.original,
            },
        )  # fmt: skip
        preview.form = forms[item.pk]
        for line in preview.lines:
            if line.reason:
                line.label = REASON_LABELS.get(line.reason, line.reason)
    for preview in previews:
        preview.originals = [(f"a{a.pk}", a.title) for a in articles] + [
            (f"i{p.item.pk}", p.item.title)
            for p in previews
            if p.item.pk != preview.item.pk and p.item.status == IntakeItem.Status.READY
        ]
    pending = sum(1 for p in previews if p.item.pending)
    links = [p for p in previews if p.item.kind == IntakeItem.Kind.LINK]
    return {
        "story": story,
        "intake": intake,
        "previews": previews,
        "articles": articles,
        "ready": sum(1 for p in previews if p.item.status == IntakeItem.Status.READY),
        "pending": pending,
        "links_total": len(links),
        "links_done": len(links) - sum(1 for p in links if p.item.pending),
        "errors": errors or [],
    }


def _intake_for(request, story) -> Intake | None:
    pk = parse_int(request.POST.get("intake") or request.GET.get("batch"), minimum=1)
    if pk is not None:
        return get_object_or_404(Intake, pk=pk, story=story, created_by=request.user)
    return selectors.intake_current(user=request.user, story=story)


@login_required
@require_safe
def intake_page(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    story = permissions.story_access(request.user, slug, for_="curate")
    intake = _intake_for(request, story)
    if request.htmx and request.GET.get("fragment") == "progress" and intake is not None:
        # Polled every second while links are fetched: counts only, not the whole preview.
        links = selectors.intake_link_progress(intake=intake)
        context = {"story": story, "intake": intake, **links}
        return render(request, "newsroom/intake.html#progress", context)
    return render(request, "newsroom/intake.html", _intake_context(request, story, intake=intake))


@login_required
@require_POST
def intake_add(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    story = permissions.story_access(request.user, slug, for_="curate")
    intake = _intake_for(request, story)
    paste = request.POST.get("paste", "")
    additions = intake_services.Additions(
        links=request.POST.get("links", "").splitlines()[: intake_services.MAX_ITEMS + 1],
        # One byte past the limit is enough to refuse a file as too big, whatever its size.
        files=[(f.name, f.read(settings.NEWSROOM_MAX_BYTES + 1)) for f in request.FILES.getlist("files")[: intake_services.MAX_ITEMS + 1]],
        pastes=[(request.POST.get("paste_title", ""), paste[:MAX_PASTE])]
        if paste or request.POST.get("paste_title")
        else [],
    )  # fmt: skip
    if paste and len(paste) > MAX_PASTE:
        return _intake_error(request, story, intake, _("The pasted text is too long."))
    try:
        if intake is None:
            if not (additions.links or additions.files or additions.pastes):
                raise ValidationError(_("Add a link, a file or some pasted text."))
            intake = intake_services.intake_start(user=request.user, story=story)
        intake_services.items_add(user=request.user, intake=intake, additions=additions)
    except ValidationError as exc:
        return _intake_error(request, story, intake, " ".join(exc.messages))
    return HttpResponseRedirect(_intake_url(story, intake))


def _intake_url(story, intake) -> str:
    url = reverse("newsroom:intake", kwargs={"slug": story.slug})
    return f"{url}?{urlencode({'batch': intake.pk})}" if intake is not None else url


def _intake_error(request, story, intake, message: str) -> HttpResponse:
    context = _intake_context(request, story, intake=intake, errors=[message])
    return render(request, "newsroom/intake.html", context, status=400)


def _item_for(request, slug: str, pk: int) -> IntakeItem:
    story = permissions.story_access(request.user, slug, for_="curate")
    return get_object_or_404(
        IntakeItem.objects.select_related("intake__story"),
        pk=pk, intake__story=story, intake__created_by=request.user,
    )  # fmt: skip


@login_required
@require_safe
def item_view(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """One item of the batch (polled while its link is being fetched)."""
    item = _item_for(request, slug, pk)
    if item.pending:  # polled every second: nothing to preview yet, so nothing else is read
        preview = selectors.ItemPreview(item=item)
        context = {"story": item.intake.story, "preview": preview}
        return render(request, "newsroom/intake.html#item", context)
    context = _intake_context(request, item.intake.story, intake=item.intake)
    preview = next((p for p in context["previews"] if p.item.pk == item.pk), None)
    if preview is None:
        raise Http404
    context["preview"] = preview
    return render(request, "newsroom/intake.html#item", context)


@login_required
@require_POST
def item_action(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    item = _item_for(request, slug, pk)
    story, intake = item.intake.story, item.intake
    try:
        if request.POST.get("action") == "retry":
            intake_services.item_retry(user=request.user, item=item)
        else:
            intake_services.item_discard(user=request.user, item=item)
    except ValidationError as exc:
        return _intake_error(request, story, intake, " ".join(exc.messages))
    return HttpResponseRedirect(_intake_url(story, intake))


@login_required
@require_POST
def intake_store(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    story = permissions.story_access(request.user, slug, for_="curate")
    intake = _intake_for(request, story)
    if intake is None:
        raise Http404
    choices, invalid = {}, {}
    for item in intake.items.filter(status=IntakeItem.Status.READY):
        form = ItemChoiceForm(request.POST, prefix=f"i{item.pk}")
        if not form.is_valid():
            invalid[item.pk] = "; ".join(
                f"{form.fields[name].label if name in form.fields else ''}: {' '.join(errs)}"
                for name, errs in form.errors.items()
            )
            continue
        data = form.cleaned_data
        drop = {
            n
            for n in (parse_int(v, minimum=0, maximum=10**6) for v in request.POST.getlist(f"i{item.pk}-drop"))
            if n is not None
        }
        choices[item.pk] = intake_services.Choice(
            title=data["title"], author=data["author"], published_on=data["published_on"],
            language=data["language"], source_name=data["source"],
            translated_from=data["translated_from"], original=data["original"], drop=frozenset(drop),
        )  # fmt: skip
    # Items whose fields are invalid are left out and keep their message; the others go in.
    stored = intake_services.intake_store(
        user=request.user, intake=intake, choices=choices, refused=invalid
    )
    left = intake.items.exclude(status=IntakeItem.Status.STORED).exists()
    if stored:
        messages.success(
            request, _("%(n)s article(s) stored in the story.") % {"n": len(stored)}
        )
    if not left:
        return redirect(story.get_absolute_url())
    return HttpResponseRedirect(_intake_url(story, intake))



# --- managing a story's articles ---------------------------------------------------------------


def _article_for(request, slug: str, pk: int) -> Article:
    story = permissions.story_access(request.user, slug, for_="curate")
    return get_object_or_404(Article.objects.select_related("story", "source"), pk=pk, story=story)


def _manage_context(story, *, forms=None) -> dict:
    articles = selectors.story_articles_for_manage(story=story)
    siblings = [(a.pk, a.title) for a in articles]
    forms = forms or {}
    for article in articles:
        article.form = forms.get(article.pk) or ArticleMetaForm(
            instance=article, prefix=f"a{article.pk}", siblings=siblings
        )
    return {"story": story, "articles": articles}


@login_required
@require_safe
def manage_page(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    story = permissions.story_access(request.user, slug, for_="curate")
    return render(request, "newsroom/manage.html", _manage_context(story))


@login_required
@require_POST
def article_update(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    article = _article_for(request, slug, pk)
    siblings = list(Article.objects.filter(story=article.story).values_list("pk", "title"))
    form = ArticleMetaForm(
        request.POST, instance=Article.objects.get(pk=article.pk), prefix=f"a{article.pk}",
        siblings=siblings,
    )  # fmt: skip
    if form.is_valid():
        fields = {name: form.cleaned_data[name] for name in ArticleMetaForm.Meta.fields}
        original = form.cleaned_data["translation_of"]
        fields["translation_of"] = (
            Article.objects.filter(story=article.story, pk=original).first() if original else None
        )
        name = form.cleaned_data["source_name"].strip()
        try:
            fields["source"] = (
                article_services.source_get_or_create(name=name, language=article.story.language)
                if name
                else None
            )
            services.article_edit(user=request.user, article=article, **fields)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Saved “%(title)s”.") % {"title": article.title})
            return redirect("newsroom:manage", slug=slug)
    context = _manage_context(article.story, forms={article.pk: form})
    return render(request, "newsroom/manage.html", context, status=400)


@login_required
@require_POST
def article_move(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    article = _article_for(request, slug, pk)
    step = parse_int(request.POST.get("step"), minimum=-1, maximum=1)
    try:
        services.article_move(user=request.user, article=article, step=step or 0)
    except ValidationError as exc:
        return HttpResponse(" ".join(exc.messages), status=400)
    return redirect("newsroom:manage", slug=slug)


@login_required
@require_http_methods(["GET", "POST"])
def article_remove(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    article = _article_for(request, slug, pk)
    claims = article.claims.count()
    if request.method == "POST" and (not claims or request.POST.get("confirm") == "yes"):
        services.article_remove(user=request.user, article=article)
        messages.success(request, _("Removed “%(title)s”.") % {"title": article.title})
        return redirect("newsroom:manage", slug=slug)
    return render(request, "newsroom/remove.html", {"story": article.story, "article": article, "claims": claims})


@login_required
@require_http_methods(["GET", "POST"])
def article_trim(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """Drop boilerplate lines from a stored article through ``article_edit`` (claims follow)."""
    article = _article_for(request, slug, pk)
    if request.method == "POST":
        lines = len(lines_of(article.body))
        drop = {
            n for n in (parse_int(v, minimum=0, maximum=lines - 1) for v in request.POST.getlist("drop"))
            if n is not None
        }  # fmt: skip
        if drop:
            try:
                edit = services.article_trim(user=request.user, article=article, drop=drop)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
                return redirect("newsroom:article_trim", slug=slug, pk=pk)
            note = _("Dropped %(n)s line(s) from “%(title)s”.") % {"n": len(drop), "title": article.title}
            if edit.orphaned:
                note += " " + _("%(n)s claim(s) lost their words and wait for a curator.") % {"n": edit.orphaned}
            messages.success(request, note)
        return redirect("newsroom:manage", slug=slug)
    flags = {flag.line: flag.reason for flag in detect(article.body)}
    lines = [
        {"index": line.index, "text": line.text, "reason": flags.get(line.index, ""),
         "label": REASON_LABELS.get(flags.get(line.index, ""), "")}
        for line in lines_of(article.body)
        if line.text.strip()
    ]
    return render(
        request, "newsroom/trim.html",
        {"story": article.story, "article": article, "lines": lines},
    )  # fmt: skip


@require_safe
def translation_pair(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """The reader with only a translation and its original, side by side (original first)."""
    story = permissions.story_access(request.user, slug, for_="read")
    article = get_object_or_404(Article, pk=pk, story=story, translation_of__isnull=False)
    pair = [article.translation_of_id, article.pk]
    others = list(Article.objects.filter(story=story).exclude(pk__in=pair).values_list("pk", flat=True))
    params = {"order": ",".join(map(str, pair + others))}
    if others:
        params["hide"] = ",".join(map(str, others))
    return redirect(f"{story.get_absolute_url()}?{urlencode(params)}")
