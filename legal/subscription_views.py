"""Subscription pages: subscribe, confirm, unsubscribe. Thin views over `legal.subscribing`
and `legal.signed_links`, with the form's rate limits counted here (`legal.rate_limits`).

None of these pages may be cached: they carry a CSRF token or act on a personal link. The
document pages themselves only hold a plain GET form that leads here, so they stay
cacheable by a shared cache or CDN.
"""

from django.db.models import Exists, OuterRef
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.utils.decorators import method_decorator
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import FormView, TemplateView

from . import rate_limits, signed_links, subscribing
from .forms import SubscribeForm
from .models import Document, DocumentVersion, language_codes


def invalid_link(request, error, document=None):
    """The answer to an altered, foreign or expired link: a page that says which, with 400."""
    context = {"expired": isinstance(error, signed_links.ExpiredToken), "document": document}
    return TemplateResponse(request, "legal/subscriptions/invalid_link.html", context, status=400)


@method_decorator(never_cache, name="dispatch")
class SubscribeView(FormView):
    """The CSRF-protected form, prefilled from the GET form on the document pages."""

    template_name = "legal/subscriptions/subscribe.html"
    form_class = SubscribeForm

    def dispatch(self, request, *args, **kwargs):
        published = DocumentVersion.objects.published().filter(document=OuterRef("pk"))
        self.document = get_object_or_404(Document.objects.filter(Exists(published)), slug=kwargs["slug"])
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        language = self.request.GET.get("language")
        return {
            "email": self.request.GET.get("email", "")[:254],
            "language": language if language in language_codes() else get_language(),
        }

    def get_context_data(self, **kwargs):
        return super().get_context_data(document=self.document, **kwargs)

    def post(self, request, *args, **kwargs):
        form = self.get_form()
        valid = form.is_valid()
        # Every submission counts against the sender's address (behind a proxy, taken from the
        # trusted header, as for the admin's lock-out); one with a valid email also against its mailbox.
        email = form.cleaned_data.get("email")
        if rate_limits.subscribe_ip_over_limit(request) or (
            email and rate_limits.subscribe_address_over_limit(request, email)
        ):
            form.refuse_as_rate_limited()
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return self.form_valid(form) if valid else self.form_invalid(form)

    def form_valid(self, form):
        try:
            subscribing.request_subscription(document=self.document, **form.cleaned_data)
        except subscribing.ConfirmationNotSent:
            form.add_error(None, _("We could not send the confirmation email just now. Please try again later."))
            return self.render_to_response(self.get_context_data(form=form), status=503)
        context = self.get_context_data(email=form.cleaned_data["email"])
        return TemplateResponse(self.request, "legal/subscriptions/sent.html", context)


@method_decorator(never_cache, name="dispatch")
class ConfirmSubscriptionView(TemplateView):
    """GET shows a button (so link scanners confirm nothing); POST confirms."""

    template_name = "legal/subscriptions/confirm.html"

    def get(self, request, slug, token):
        try:
            subscription = signed_links.check_confirmation(token, slug=slug)
        except signed_links.InvalidToken as error:
            return invalid_link(request, error)
        return self.render_to_response({"subscription": subscription, "document": subscription.document})

    def post(self, request, slug, token):
        try:
            subscription = subscribing.confirm_subscription(token, slug=slug)
        except signed_links.InvalidToken as error:
            return invalid_link(request, error)
        context = {"subscription": subscription, "document": subscription.document, "confirmed": True}
        return self.render_to_response(context)


# The signed token is the authorisation, and mail clients send RFC 8058 one-click POSTs
# without any cookie or CSRF token.
@method_decorator([csrf_exempt, never_cache], name="dispatch")
class UnsubscribeView(TemplateView):
    """GET shows a button; POST (from that button or a mail client's one-click) unsubscribes."""

    template_name = "legal/subscriptions/unsubscribe.html"

    def get(self, request, token):
        try:
            subscription = signed_links.check_unsubscribe(token)
        except signed_links.InvalidToken as error:
            return invalid_link(request, error)
        return self.render_to_response({"subscription": subscription, "document": subscription.document})

    def post(self, request, token):
        try:
            subscription = subscribing.unsubscribe(token)
        except signed_links.InvalidToken as error:
            return invalid_link(request, error)
        context = {"subscription": subscription, "document": subscription.document, "unsubscribed": True}
        return self.render_to_response(context)
