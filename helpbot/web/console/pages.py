"""The console's pages: sign-in, the inbox, a case, a tenant, deadlines, community,
reports, privacy and the audit log. Reading pages read the store; every action on a
case goes through the inbox as an event naming the case and the colleague, which the
desk works as the staff room's own command (staff_commands.py)."""

from __future__ import annotations

import csv
import io
import secrets
from datetime import UTC, datetime
from typing import Any

import aiohttp_jinja2
import aiohttp_session
import pyotp
from aiohttp import web
from sqlalchemy import select

import helpbot.web.console.case_files as case_files
import helpbot.web.console.guard as guard
import helpbot.web.console.hazard_pages as hazard_pages
from helpbot.desk.complaints_clock import LONDON, local_day, working_days_between
from helpbot.store import models
from helpbot.store.case_search import KINDS, STATUSES, CaseFilter, CaseSearch, next_deadline
from helpbot.store.privacy import Privacy
from helpbot.store.staff_accounts import (
    AccountError,
    address_key,
    needs_second_factor,
    totp_step,
)
from helpbot.store.staff_models import StaffAccount
from helpbot.store.tenancy_links import TenancyLinks
from helpbot.web.console.reports_chart import weekly_chart_svg
from helpbot.web.console.staff_commands import (
    LEAD_ROLES,
    NotAvailable,
    StaffCommands,
    sender_of,
)

COMMANDS = web.AppKey("console_commands", StaffCommands)

# The case page's buttons and the desk's case command each one is.
CASE_ACTIONS: dict[str, str] = {
    "reply": "reply",
    "note": "note",
    "claim": "claim",
    "release": "release",
    "resolve": "resolve",
    "close": "close",
    "reopen": "reopen",
    "merge": "merge",
    "escalate": "escalate",
    "extend": "extend",
    "publish": "publish",
    "assign": "assign",
    "takeover": "takeover",
}
NEEDS_TEXT = {"reply", "note", "resolve", "publish", "extend", "merge"}
# The hazard clock's actions (Awaab's Law): the same commands as in the staff topic.
CASE_ACTIONS |= hazard_pages.HAZARD_ACTIONS
NEEDS_TEXT |= hazard_pages.HAZARD_NEEDS_TEXT


async def _page(
    request: web.Request, template: str, context: dict[str, Any], status: int = 200
) -> web.Response:
    session = await aiohttp_session.get_session(request)
    signed_in = request.get(guard.SIGNED_IN)
    context = {
        "me": signed_in.account if signed_in else None,
        "csrf": signed_in.csrf_token if signed_in else await guard.pre_csrf(request),
        "flash": session.pop("flash", []),
        "notice": session.pop("notice", None),
        "nonce": secrets.token_urlsafe(12),
        "now": datetime.now(UTC),
        "path": request.path,
        **context,
    }
    return aiohttp_jinja2.render_template(template, request, context, status=status)


async def _flash(request: web.Request, *lines: str) -> None:
    session = await aiohttp_session.get_session(request)
    session["flash"] = [*session.get("flash", []), *lines][-5:]


# -- signing in -----------------------------------------------------------------------

# The one answer to too many wrong passwords or codes (429), whichever step it is.
TOO_MANY = "Too many attempts. Wait 15 minutes and try again."


async def _address(request: web.Request) -> str:
    """The client's address as the throttle keeps it: a keyed hash."""
    accounts = request.app[guard.STAFF]
    settings = request.app[guard.CONFIG]
    key = await accounts.cookie_key() if not settings.console_secret else settings.console_secret
    return address_key(guard.client_address(request, settings), key)


async def sign_in_form(request: web.Request) -> web.Response:
    return await _page(request, "sign_in.html", {"email": ""})


async def sign_in(request: web.Request) -> web.Response:
    form = await request.post()
    email = str(form.get("email", ""))[:254]
    password = str(form.get("password", ""))[:1024]
    accounts = request.app[guard.STAFF]
    address = await _address(request)
    store = request.app[guard.STORE]
    if await accounts.throttled(email, address):
        await store.audit(actor=f"console:{email.lower()}", action="console_sign_in_throttled")
        return await _page(request, "sign_in.html", {"email": email, "error": TOO_MANY}, status=429)
    account = await accounts.check_password(email, password, address)
    if account is None:
        await store.audit(actor=f"console:{email.lower()}", action="console_sign_in_failed")
        return await _page(
            request,
            "sign_in.html",
            {"email": email, "error": "That email and password do not match an account."},
            status=401,
        )
    if not needs_second_factor(account):
        # With a second factor the count goes on until the code is right: signing in
        # again with the password must not give a guesser five more codes.
        await accounts.forget_failures(email)
    token = await accounts.open_session(account)
    before = await aiohttp_session.get_session(request)
    destination = str(before.get("next") or guard.PREFIX + "/")
    session = await aiohttp_session.new_session(request)  # a fresh cookie: no fixation
    session["sid"] = token
    await store.audit(actor=f"console:{account.email}", action="console_signed_in")
    raise web.HTTPSeeOther(destination if destination.startswith(guard.PREFIX) else "/console/")


async def sign_out(request: web.Request) -> web.Response:
    session = await aiohttp_session.get_session(request)
    token = session.get("sid")
    if token:
        await request.app[guard.STAFF].end_session(token)
    await guard.audit(request, "console_signed_out")
    session.invalidate()
    new = await aiohttp_session.new_session(request)
    new["notice"] = "You have signed out."
    raise web.HTTPSeeOther(guard.PREFIX + "/sign-in")


async def set_password_form(request: web.Request) -> web.Response:
    account = await request.app[guard.STAFF].by_setup_token(request.match_info["token"])
    if account is None:
        return await _page(request, "set_password.html", {"expired": True}, status=404)
    return await _page(request, "set_password.html", {"account": account})


async def set_password(request: web.Request) -> web.Response:
    form = await request.post()
    token = request.match_info["token"]
    password = str(form.get("password", ""))[:1024]
    accounts = request.app[guard.STAFF]
    account = await accounts.by_setup_token(token)
    if account is None:
        return await _page(request, "set_password.html", {"expired": True}, status=404)
    if password != str(form.get("again", "")):
        return await _page(
            request,
            "set_password.html",
            {"account": account, "error": "The two passwords are not the same."},
            status=400,
        )
    try:
        done = await accounts.set_password(token, password)
    except AccountError as error:
        return await _page(
            request, "set_password.html", {"account": account, "error": str(error)}, status=400
        )
    if done is None:
        return await _page(request, "set_password.html", {"expired": True}, status=404)
    await request.app[guard.STORE].audit(
        actor=f"console:{account.email}", action="console_password_set"
    )
    session = await aiohttp_session.get_session(request)
    session["notice"] = "Your password is set. Sign in with it now."
    raise web.HTTPSeeOther(guard.PREFIX + "/sign-in")


async def second_factor_form(request: web.Request) -> web.Response:
    return await _page(request, "second_factor.html", {})


async def second_factor(request: web.Request) -> web.Response:
    signed_in = guard.staff(request)
    form = await request.post()
    code = str(form.get("code", "")).strip()[:12]
    accounts = request.app[guard.STAFF]
    outcome = await accounts.check_second_factor(signed_in, code, await _address(request))
    if outcome == "passed":
        await guard.audit(request, "console_second_factor_passed")
        raise web.HTTPSeeOther(guard.PREFIX + "/")
    if outcome == "refused":
        await guard.audit(request, "console_second_factor_throttled")
        return await _page(request, "second_factor.html", {"error": TOO_MANY}, status=429)
    await guard.audit(request, "console_second_factor_failed")
    if outcome == "locked":
        await guard.audit(request, "console_second_factor_locked")
    return await _page(
        request, "second_factor.html", {"error": "That code is not right."}, status=401
    )


async def account_page(request: web.Request) -> web.Response:
    account = guard.staff(request).account
    session = await aiohttp_session.get_session(request)
    pending = session.get("totp_pending")
    uri = None
    if account.role == "admin" and not account.totp_secret:
        if not pending:
            pending = session["totp_pending"] = pyotp.random_base32()
        uri = pyotp.TOTP(pending).provisioning_uri(name=account.email, issuer_name="SHAL helpbot")
    return await _page(request, "account.html", {"totp_uri": uri, "totp_secret": pending})


async def account_totp(request: web.Request) -> web.Response:
    signed_in = guard.staff(request)
    guard.require_role(request, "admin")
    session = await aiohttp_session.get_session(request)
    pending = session.get("totp_pending")
    form = await request.post()
    step = totp_step(pending, str(form.get("code", "")).strip()[:12]) if pending else None
    if step is not None:
        await request.app[guard.STAFF].set_totp(signed_in.account.id, pending, step)
        await request.app[guard.STAFF].second_factor_passed(signed_in.session_id)
        session.pop("totp_pending", None)
        await guard.audit(request, "console_second_factor_enabled")
        await _flash(request, "Second factor turned on.")
    else:
        await _flash(request, "That code is not right; try again.")
    raise web.HTTPSeeOther(guard.PREFIX + "/account")


# -- reading pages ----------------------------------------------------------------------


async def _my_person_id(request: web.Request) -> int | None:
    who = sender_of(guard.staff(request).account)
    async with request.app[guard.STORE].sessions() as session:
        return await session.scalar(
            select(models.Person.id).where(
                models.Person.channel == who.channel, models.Person.external_id == who.external_id
            )
        )


async def inbox(request: web.Request) -> web.Response:
    search = CaseSearch(request.app[guard.STORE])
    wanted = CaseFilter.from_query(request.query)
    found = await search.inbox(wanted, me=await _my_person_id(request))
    await guard.audit(request, "console_view_inbox", detail_query=bool(wanted.query))
    return await _page(
        request,
        "inbox.html",
        {
            "wanted": wanted,
            "found": found,
            "kinds": KINDS,
            "statuses": STATUSES,
            "channels": await search.channels(),
            "query_without_page": _query_without_page(request),
            "next_deadline": next_deadline,
        },
    )


def _query_without_page(request: web.Request) -> str:
    from urllib.parse import urlencode

    return urlencode([(k, v) for k, v in request.query.items() if k != "page"])


def written_in(timeline: list[Any]) -> list[str]:
    """The other languages the tenant wrote this case in (policy 6.2), first seen first:
    the bot did not read those messages, so the officer is told at the top of the page."""
    seen: dict[str, None] = {}
    for entry in timeline:
        if entry.actor_kind == "tenant" and (language := entry.detail.get("language")):
            seen.setdefault(str(language), None)
    return list(seen)


async def case_page(request: web.Request) -> web.Response:
    store = request.app[guard.STORE]
    search = CaseSearch(store)
    case = await search.case(request.match_info["ref"])
    if case is None:
        raise web.HTTPNotFound(text="No such case.")
    await guard.audit(request, "console_view_case", case.ref)
    async with store.sessions() as session:
        tenant = await session.get(models.Person, case.tenant_id)
        chat = await session.get(models.Chat, case.chat_id) if case.chat_id else None
    timeline = await search.timeline(case.id)
    timeline += search.deadlines_kept(case, timeline, local_day(datetime.now(UTC)))
    timeline.sort(key=lambda entry: entry.at)
    await case_files.mark_files(request.app, case.id, timeline)
    me = guard.staff(request).account
    colleagues = [a for a in await request.app[guard.STAFF].everyone() if a.disabled_at is None]
    return await _page(
        request,
        "case.html",
        {
            "case": case,
            "tenant": tenant,
            "chat": chat,
            "timeline": timeline,
            "languages": written_in(timeline),
            "unavailable": request.app[COMMANDS].available(case),
            "next_deadline": next_deadline(case),
            "london": LONDON,
            **await hazard_pages.case_context(store, case),
            "colleagues": colleagues,
            "is_lead": me.role in LEAD_ROLES,
            "held_by_other": case.assignee_id is not None
            and case.assignee_id != await _my_person_id(request),
        },
    )


async def case_action(request: web.Request) -> web.Response:
    store = request.app[guard.STORE]
    case = await CaseSearch(store).case(request.match_info["ref"])
    if case is None:
        raise web.HTTPNotFound(text="No such case.")
    form = await request.post()
    action = str(form.get("action", ""))
    if action not in CASE_ACTIONS:
        raise web.HTTPBadRequest(text="Unknown action.")
    text = str(form.get("text", "")).strip()
    if action == "extend":
        days = str(form.get("days", "")).strip()
        text = f"{days} {text}".strip()
    if action == "hazard" and text:
        text = f"{str(form.get('category', '')).strip()} {text}".strip()
    back = f"{guard.PREFIX}/cases/{case.ref}"
    if action in NEEDS_TEXT and not text:
        await _flash(request, "Write something first.")
        raise web.HTTPSeeOther(back)
    colleague = None
    if action == "assign":
        colleague = await _colleague_account(request, str(form.get("colleague", "")))
        if colleague is None:
            await _flash(request, "Choose a colleague to give the case to.")
            raise web.HTTPSeeOther(back)
        text = ""
    signed_in = guard.staff(request)
    await guard.audit(request, f"console_case_{action}", case.ref, text=bool(text))
    try:
        outcome = await request.app[COMMANDS].send(
            signed_in.account,
            case,
            command=CASE_ACTIONS[action],
            text=text,
            nonce=str(form.get("nonce", "")),
            colleague=colleague,
        )
    except NotAvailable as why:
        await _flash(request, str(why))
        raise web.HTTPSeeOther(back) from None
    if not outcome.done:
        await _flash(request, "Sent; the desk has not finished with it yet. Reload in a moment.")
    elif action == "reply" and outcome.to_tenant:
        await _flash(
            request,
            "Reply on its way to the tenant. If it can't be delivered, the case history "
            "will say so.",
            *outcome.said,
        )
    else:
        await _flash(request, *(outcome.said or ("Done.",)))
    raise web.HTTPSeeOther(back)


async def _colleague_account(request: web.Request, value: str) -> StaffAccount | None:
    """The colleague a reassignment names: an account that can still sign in."""
    number = guard.row_id(value)
    account = await request.app[guard.STAFF].by_id(number) if number is not None else None
    return account if account is not None and account.disabled_at is None else None


async def tenant_page(request: web.Request) -> web.Response:
    person_id = guard.path_id(request, "id", "No such person.")
    record = await CaseSearch(request.app[guard.STORE]).tenant(person_id)
    if record is None:
        raise web.HTTPNotFound(text="No such person.")
    await guard.audit(request, "console_view_tenant", f"person:{person_id}")
    return await _page(request, "tenant.html", {"record": record})


async def tenant_tenancy(request: web.Request) -> web.Response:
    """Link a person to a tenancy in the register (or unlink them), once a colleague has
    checked who they are: their identities on other channels then show as one person."""
    person_id = guard.path_id(request, "id", "No such person.")
    form = await request.post()
    reference = str(form.get("reference", "")).strip()[:64]
    links = TenancyLinks(request.app[guard.STORE])
    back = f"{guard.PREFIX}/tenants/{person_id}"
    if not reference:
        if not await links.unlink(person_id):
            raise web.HTTPNotFound(text="No such person.")
        await guard.audit(request, "console_tenancy_unlinked", f"person:{person_id}")
        await _flash(request, "No longer linked to a tenancy.")
        raise web.HTTPSeeOther(back)
    tenancy = await links.link(person_id, reference)
    if tenancy is None:
        await _flash(request, "The register has no tenancy with that reference.")
        raise web.HTTPSeeOther(back)
    await guard.audit(request, "console_tenancy_linked", f"person:{person_id}")
    await _flash(request, f"Linked to tenancy {tenancy.reference}.")
    raise web.HTTPSeeOther(back)


async def deadlines(request: web.Request) -> web.Response:
    found = await CaseSearch(request.app[guard.STORE]).deadlines()
    today = local_day(datetime.now(UTC))
    await guard.audit(request, "console_view_deadlines")
    rows = [_deadline_row(case, today) for case in found]
    return await _page(request, "deadlines.html", {"rows": rows, "today": today})


def _deadline_row(case: models.Case, today: Any) -> dict[str, Any]:
    due = next_deadline(case)
    late = working_days_between(due, today) if due is not None and due < today else 0
    return {
        "case": case,
        "next": due,
        "what": "acknowledge" if case.acknowledged_on is None else "respond",
        "overdue_days": late,
    }


async def deadlines_csv(request: web.Request) -> web.Response:
    found = await CaseSearch(request.app[guard.STORE]).deadlines()
    today = local_day(datetime.now(UTC))
    await guard.audit(request, "console_export_deadlines")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "ref",
            "stage",
            "received_on",
            "acknowledge_by",
            "acknowledged_on",
            "respond_by",
            "next_deadline",
            "overdue_working_days",
            "assignee",
        ]
    )
    for case in found:
        row = _deadline_row(case, today)
        writer.writerow(
            [
                case.ref,
                case.stage or 1,
                _iso(case.received_on),
                _iso(case.acknowledge_by),
                _iso(case.acknowledged_on),
                _iso(case.respond_by),
                _iso(row["next"]),
                row["overdue_days"],
                _cell(case.assignee_name or ""),
            ]
        )
    return web.Response(
        text=out.getvalue(),
        content_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="complaint-deadlines.csv"'},
    )


def _iso(value: Any) -> str:
    return value.isoformat() if value else ""


def _cell(value: str) -> str:
    """A CSV cell a spreadsheet will not run as a formula."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


async def community(request: web.Request) -> web.Response:
    store = request.app[guard.STORE]
    async with store.sessions() as session:
        requests_ = list(
            await session.execute(
                select(models.JoinRequest, models.Person)
                .join(models.Person, models.Person.id == models.JoinRequest.person_id)
                .where(models.JoinRequest.status == "review")
                .order_by(models.JoinRequest.id)
            )
        )
        held = list(
            await session.execute(
                select(models.ModerationAction, models.Message)
                .outerjoin(models.Message, models.Message.id == models.ModerationAction.message_id)
                .where(
                    models.ModerationAction.action == "hold",
                    models.ModerationAction.state == "pending",
                )
                .order_by(models.ModerationAction.id)
            )
        )
        log = list(
            await session.scalars(
                select(models.ModerationAction)
                .order_by(models.ModerationAction.id.desc())
                .limit(100)
            )
        )
    await guard.audit(request, "console_view_community")
    return await _page(request, "community.html", {"requests": requests_, "held": held, "log": log})


async def community_press(request: web.Request) -> web.Response:
    form = await request.post()
    data = str(form.get("button", ""))
    await guard.audit(request, "console_community_decision", data[:64])
    try:
        outcome = await request.app[COMMANDS].press(
            guard.staff(request).account, data, nonce=str(form.get("nonce", ""))
        )
    except NotAvailable as why:
        await _flash(request, str(why))
    else:
        await _flash(request, *(outcome.said or ("Done.",)))
    raise web.HTTPSeeOther(guard.PREFIX + "/community")


async def hazards(request: web.Request) -> web.Response:
    context = await hazard_pages.report_context(request.app[guard.STORE])
    await guard.audit(request, "console_view_hazards")
    return await _page(request, "hazards.html", context)


async def reports(request: web.Request) -> web.Response:
    report = await CaseSearch(request.app[guard.STORE]).reports()
    await guard.audit(request, "console_view_reports")
    return await _page(request, "reports.html", {"report": report, "kinds": KINDS})


async def reports_chart(request: web.Request) -> web.Response:
    report = await CaseSearch(request.app[guard.STORE]).reports()
    svg = await weekly_chart_svg(report)
    # The drawing styles itself inline; opened on its own (not as the page's image) it
    # needs that, and nothing else: no script, no fetches, no framing.
    policy = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
    return web.Response(
        text=svg, content_type="image/svg+xml", headers={"Content-Security-Policy": policy}
    )


async def reports_csv(request: web.Request) -> web.Response:
    report = await CaseSearch(request.app[guard.STORE]).reports()
    await guard.audit(request, "console_export_reports")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["week_starting", "measure", *KINDS])
    for week in report.weeks:
        for measure, table in (("opened", report.opened), ("closed", report.closed)):
            writer.writerow([week.isoformat(), measure, *(table[week].get(k, 0) for k in KINDS)])
    writer.writerow([])
    writer.writerow(["complaint_deadlines_due", report.deadlines_due])
    writer.writerow(["complaint_deadlines_met", report.deadlines_met])
    median = report.median_first_reply_hours
    writer.writerow(
        ["median_hours_to_first_staff_reply", "" if median is None else f"{median:.1f}"]
    )
    for channel, count in sorted(report.channel_mix.items()):
        writer.writerow(["cases_from_channel", channel, count])
    return web.Response(
        text=out.getvalue(),
        content_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="helpdesk-report.csv"'},
    )


# -- privacy ------------------------------------------------------------------------


async def privacy_export(request: web.Request) -> web.Response:
    guard.require_role(request, "lead")
    person_id = guard.path_id(request, "id", "No such person.")
    archive = await Privacy(request.app[guard.STORE]).subject_access_zip(person_id)
    if archive is None:
        raise web.HTTPNotFound(text="No such person.")
    await guard.audit(request, "privacy_subject_access_export", f"person:{person_id}")
    return web.Response(
        body=archive,
        content_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="subject-access-{person_id}.zip"'},
    )


async def privacy_erase(request: web.Request) -> web.Response:
    guard.require_role(request, "lead")
    person_id = guard.path_id(request, "id", "No such person.")
    form = await request.post()
    back = f"{guard.PREFIX}/tenants/{person_id}"
    if str(form.get("confirm", "")).strip().upper() != "ERASE":
        await _flash(request, "Type ERASE to confirm.")
        raise web.HTTPSeeOther(back)
    counts = await Privacy(request.app[guard.STORE]).erase(person_id, actor=guard.actor_of(request))
    if counts is None:
        raise web.HTTPNotFound(text="No such person.")
    await _flash(
        request,
        f"Erased: {counts.messages} messages, {counts.case_events} case entries in "
        f"{counts.cases} cases, {counts.raw_events} raw channel updates. Case facts kept.",
    )
    raise web.HTTPSeeOther(back)


async def privacy_page(request: web.Request) -> web.Response:
    guard.require_role(request, "lead")
    settings = request.app[guard.CONFIG]
    counts = await Privacy(request.app[guard.STORE]).sweep(
        datetime.now(UTC),
        closed_case_days=settings.retention_closed_case_days,
        raw_days=settings.retention_raw_days,
        dry_run=True,
    )
    await guard.audit(request, "console_view_privacy")
    return await _page(request, "privacy.html", {"counts": counts, "settings": settings})


async def privacy_sweep(request: web.Request) -> web.Response:
    guard.require_role(request, "admin")
    settings = request.app[guard.CONFIG]
    counts = await Privacy(request.app[guard.STORE]).sweep(
        datetime.now(UTC),
        closed_case_days=settings.retention_closed_case_days,
        raw_days=settings.retention_raw_days,
    )
    await guard.audit(request, "privacy_retention_sweep")
    await _flash(request, *counts.lines())
    raise web.HTTPSeeOther(guard.PREFIX + "/privacy")


async def audit_log(request: web.Request) -> web.Response:
    guard.require_role(request, "admin")
    async with request.app[guard.STORE].sessions() as session:
        entries = list(
            await session.scalars(
                select(models.AuditEvent).order_by(models.AuditEvent.id.desc()).limit(300)
            )
        )
        accounts = list(await session.scalars(select(StaffAccount).order_by(StaffAccount.email)))
    await guard.audit(request, "console_view_audit")
    # The desk names a colleague by their channel identity; say which account that is.
    known: dict[str, str] = {}
    for account in accounts:
        who = sender_of(account)
        known[f"staff:{who.channel}:{who.external_id}"] = account.email
    return await _page(
        request, "audit.html", {"entries": entries, "accounts": accounts, "known": known}
    )


def routes() -> list[web.RouteDef]:
    return [
        web.get("/sign-in", sign_in_form),
        web.post("/sign-in", sign_in),
        web.post("/sign-out", sign_out),
        web.get("/set-password/{token}", set_password_form),
        web.post("/set-password/{token}", set_password),
        web.get("/second-factor", second_factor_form),
        web.post("/second-factor", second_factor),
        web.get("/account", account_page),
        web.post("/account/totp", account_totp),
        web.get("/", inbox),
        web.get("/cases/{ref}", case_page),
        web.post("/cases/{ref}/act", case_action),
        *case_files.routes(),
        web.get("/tenants/{id:\\d+}", tenant_page),
        web.get("/tenants/{id:\\d+}/export.zip", privacy_export),
        web.post("/tenants/{id:\\d+}/tenancy", tenant_tenancy),
        web.post("/tenants/{id:\\d+}/erase", privacy_erase),
        web.get("/deadlines", deadlines),
        web.get("/deadlines.csv", deadlines_csv),
        web.get("/community", community),
        web.post("/community/decide", community_press),
        web.get("/hazards", hazards),
        *hazard_pages.routes(),
        web.get("/reports", reports),
        web.get("/reports/weekly.svg", reports_chart),
        web.get("/reports.csv", reports_csv),
        web.get("/privacy", privacy_page),
        web.post("/privacy/sweep", privacy_sweep),
        web.get("/audit", audit_log),
    ]
