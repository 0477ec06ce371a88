"""One workflow engine for every state machine: plans, pledges, and the review,
rectification and award records to come.

An app declares its moves once (``Workflow`` with ``Move``s) and its services
call ``apply``. Each move names the verb the audit trail records (报送 / 备案 /
退回 rather than "update"), the states it starts from, its target, who may make
it, whether it needs a reason, and what it stamps and clears. ``apply`` does the
rest the same way everywhere: lock the row, check state, actor and input, stamp
who and when, ``full_clean``, save, audit, queue on-commit work.

Why not django-fsm-2 or viewflow: django-fsm-2 puts transitions on model methods
(business logic in models, which STYLE.md keeps in services), changes the state
in memory without locking or re-reading the row, and leaves permission checks,
auditing and user-facing refusals to the caller; that caller code is what this
module is. viewflow is a process framework with its own tables and views, far
more than a guarded state change. The engine below is about a hundred lines.
"""

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import audit, notify


class DomainError(Exception):
    """A move the workflow forbids or input it refuses; the message is for the user
    (in Chinese). Every app's domain error extends it, so one view helper shows them."""


class _Stamp:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


NOW = _Stamp("NOW")  # the time of the move
ACTOR = _Stamp("ACTOR")  # the user making it
REASON = _Stamp("REASON")  # the reason given with it

Check = Callable[[Any, Any], None]  # (locked object, user) -> raises the workflow's error


@dataclass(frozen=True)
class Move:
    """One declared move. ``allowed(user, obj)`` decides who may make it;
    ``refusal`` (a text, or a function of the object) is what they are told
    otherwise. ``stamps`` maps fields to NOW, ACTOR, REASON, a constant, or a
    function of the locked object; ``clears`` empties fields. ``check`` refuses
    input the move needs (四个明确 unfilled, no items) after state and actor pass.
    ``target`` None leaves the state as it is (a decision recorded on the record)."""

    verb: str
    label: Any
    sources: tuple[str, ...]
    target: str | None
    allowed: Callable[[Any, Any], bool]
    refusal: Any
    needs_reason: bool = False
    stamps: dict[str, Any] = field(default_factory=dict)
    clears: tuple[str, ...] = ()
    check: Check | None = None
    then: Check | None = None  # more writes in the same transaction (a revision's stamp)


@dataclass(frozen=True)
class Workflow:
    """The moves of one model. ``locked(pk)`` re-reads the row under a lock (with
    what the checks need); ``organization_id(obj)`` files the audit entry."""

    model: type[models.Model]
    noun: Any  # 方案, 承诺: "方案当前为“草稿”，不能备案"
    error: type[DomainError]
    moves: dict[str, Move]
    locked: Callable[[Any], Any]
    organization_id: Callable[[Any], int | None]
    state_field: str = "state"
    on_commit: Callable[[Any, Move], None] | None = None  # e.g. notify, queue a job
    # (the object as it was, as it is now), after the save in the move's
    # transaction: what depends on its state follows (stored counts)
    changed: Callable[[Any, Any], None] | None = None


_workflows: list[Workflow] = []


def declare(
    *,
    model: type[models.Model],
    noun: Any,
    error: type[DomainError],
    moves: list[Move],
    locked: Callable[[Any], Any],
    organization_id: Callable[[Any], int | None],
    state_field: str = "state",
    on_commit: Callable[[Any, Move], None] | None = None,
    changed: Callable[[Any, Any], None] | None = None,
) -> Workflow:
    """Declare a model's workflow; ``workflows()`` lists every declared one (the
    table-driven test walks them all, so a new app's moves are tested by declaring them)."""
    flow = Workflow(
        model=model,
        noun=noun,
        error=error,
        moves={move.verb: move for move in moves},
        locked=locked,
        organization_id=organization_id,
        state_field=state_field,
        on_commit=on_commit,
        changed=changed,
    )
    _workflows.append(flow)
    return flow


def workflows() -> list[Workflow]:
    return list(_workflows)


def verb_label(model_label: str, verb: str) -> Any:
    """The Chinese name of a recorded move (for the audit history)."""
    for flow in _workflows:
        if flow.model._meta.label_lower == model_label and verb in flow.moves:
            return flow.moves[verb].label
    return verb


def _refusal(move: Move, obj: Any) -> str:
    return str(move.refusal(obj) if callable(move.refusal) else move.refusal)


def apply(
    flow: Workflow, verb: str, *, obj: Any, user: Any, reason: str = "", **values: Any
) -> Any:
    """Make one declared move on ``obj`` as ``user``; returns the saved, re-read object.

    ``values`` are fields the service has already validated (an outcome, a phase).
    Every refusal raises the workflow's error and writes nothing.
    """
    move = flow.moves[verb]
    reason = (reason or "").strip()
    if move.needs_reason and not reason:
        raise flow.error(_("%(move)s必须填写理由") % {"move": move.label})
    with transaction.atomic():
        fresh = flow.locked(obj.pk)
        why = refusal(flow, verb, obj=fresh, user=user)
        if why:
            raise flow.error(why)
        if move.check is not None:
            move.check(fresh, user)
        before = audit.snapshot(fresh)
        earlier = copy.copy(fresh) if flow.changed is not None else None
        now = timezone.now()
        for name in move.clears:
            model_field = fresh._meta.get_field(name)
            setattr(fresh, name, None if model_field.null else "")
        for name, stamp in move.stamps.items():
            if stamp is NOW:
                value: Any = now
            elif stamp is ACTOR:
                value = user if getattr(user, "is_authenticated", False) else None
            elif stamp is REASON:
                value = reason
            elif callable(stamp):
                value = stamp(fresh)
            else:
                value = stamp
            setattr(fresh, name, value)
        for name, value in values.items():
            setattr(fresh, name, value)
        if move.target is not None:
            setattr(fresh, flow.state_field, move.target)
        fresh.full_clean()
        fresh.save()
        if move.then is not None:
            move.then(fresh, user)
        if flow.changed is not None:
            flow.changed(earlier, fresh)
        audit.record(
            fresh,
            audit.Action.UPDATE,
            before,
            organization_id=flow.organization_id(fresh),
            verb=move.verb,
        )
        # Who the move concerns hears of it, in the same transaction (core.notify).
        notify.moved(fresh, move.verb, actor=user, reason=reason)
        if flow.on_commit is not None:
            hook = flow.on_commit
            transaction.on_commit(lambda: hook(fresh, move))
    return fresh


def refusal(flow: Workflow, verb: str, *, obj: Any, user: Any) -> str:
    """Why the move is not open now ("" when it is): the object is in no source
    state, or the user may not make it. ``apply`` raises it under the lock; a
    service that must refuse before starting a job asks it first."""
    move = flow.moves[verb]
    if getattr(obj, flow.state_field) not in move.sources:
        shown = getattr(obj, f"get_{flow.state_field}_display")()
        return _("%(noun)s当前为“%(state)s”，不能%(move)s") % {
            "noun": flow.noun,
            "state": shown,
            "move": move.label,
        }
    if not move.allowed(user, obj):
        return _refusal(move, obj)
    return ""


def may(flow: Workflow, verb: str, *, obj: Any, user: Any) -> bool:
    """Whether the move is open now: the object is in a source state and the user may
    make it (what a page asks before showing the button)."""
    return not refusal(flow, verb, obj=obj, user=user)
