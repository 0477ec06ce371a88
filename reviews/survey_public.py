"""The public answer page of 群众评议 (``/pingyi/dm/``), phone-first, no login:
enter or scan a code, answer, done.

Every outcome is a page of its own with a plain message, never an error page:
a mistyped code (what is wrong with it), an unknown or void code, a code used
already, a survey not open yet or closed, and too many wrong codes from the
address. The page never shows another code, an opinion, or who answered.
"""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from core.net import client_address
from reviews import surveys

# The status of each outcome: the visitor reads the page either way, but the
# codes say what happened to anyone counting (and to the tests).
STATUS = {
    "ok": 200,
    "done": 200,
    "used": 200,
    "closed": 200,
    "early": 200,
    "void": 410,
    "invalid": 400,
    "mistyped": 400,
    "unknown": 404,
    "throttled": 429,
}


@require_GET
def survey_answer(request: HttpRequest) -> HttpResponse:
    """/pingyi/dm/: the box to type a code in (``?code=`` goes to its page)."""
    typed = request.GET.get("code", "")
    if typed:
        code = surveys.normalise(typed)
        if surveys.well_formed(code):
            return redirect("survey_code", code=surveys.printed(code))
        found = surveys.check_code(typed, address=client_address(request))
        return _page(request, found, typed=typed[:40])
    return render(request, "reviews/survey/answer_code.html", {"typed": ""})


def _page(
    request: HttpRequest, found: surveys.CodeCheck, *, typed: str = "", code: str = "", **extra: Any
) -> HttpResponse:
    if found.status in ("ok", "invalid") and found.subject is not None:
        survey = found.subject.survey
        given = extra.pop("given", None) or []
        context = {
            "survey": survey,
            "subject": found.subject.label,
            "questions": [
                {
                    "index": i,
                    "text": text,
                    "name": f"q{i}",
                    "chosen": given[i] if i < len(given) else None,
                }
                for i, text in enumerate(survey.questions)
            ],
            "choices": [{"index": i, "label": c["label"]} for i, c in enumerate(survey.choices)],
            "code": code,
            "message": found.message,
            "opinion_max": surveys.OPINION_MAX,
            **extra,
        }
        return render(
            request, "reviews/survey/answer_form.html", context, status=STATUS[found.status]
        )
    if found.status in ("mistyped", "unknown", "throttled"):
        # The code box again, with what went wrong.
        return render(
            request,
            "reviews/survey/answer_code.html",
            {"typed": typed, "message": found.message, "status": found.status},
            status=STATUS[found.status],
        )
    context = {
        "status": found.status,
        "message": found.message,
        "subject": found.subject.label if found.subject else "",
    }
    return render(request, "reviews/survey/answer_done.html", context, status=STATUS[found.status])


def _answers(request: HttpRequest, count: int) -> list[Any]:
    values: list[Any] = []
    for i in range(count):
        raw = request.POST.get(f"q{i}", "")
        values.append(int(raw) if raw.isdigit() and len(raw) < 4 else None)
    return values


@require_http_methods(["GET", "POST"])
def survey_code(request: HttpRequest, code: str) -> HttpResponse:
    """/pingyi/dm/<code>/: the answer form for a code (GET), the answer (POST)."""
    address = client_address(request)
    normal = surveys.normalise(code)
    shown = surveys.printed(normal) if surveys.well_formed(normal) else ""
    if request.method == "GET":
        if shown and shown != code:
            return redirect("survey_code", code=shown)
        return _page(
            request, surveys.check_code(code, address=address), typed=code[:40], code=shown
        )
    found = surveys.check_code(code, address=address)
    if found.status != "ok" or found.subject is None:
        return _page(request, found, typed=code[:40], code=shown)
    given = _answers(request, len(found.subject.survey.questions))
    opinion = request.POST.get("opinion", "")
    done = surveys.answer(typed=code, answers=given, opinion=opinion, address=address, found=found)
    if done.status == "invalid":
        return _page(request, done, code=shown, given=given, opinion=opinion)
    return _page(request, done)
