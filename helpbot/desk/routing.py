"""The routing table: every command, every button and every kind of chat, with who may
use each. Authorisation is read from here and nowhere else; adding a feature is adding
its rows (and a folder beside ``cases/``).

Who someone is depends on where they write (``role_of``): in a private chat or under the
Facebook Page's posts anyone is a TENANT; in a community group a colleague is a
MODERATOR and anyone else a TENANT (a member); in the staff group a colleague (someone on
the staff list, HELPBOT_STAFF_USER_IDS) is a COLLEAGUE and anyone else a STRANGER; in a
chat we don't serve everyone is a STRANGER. In the staff console the colleague signed in
is a COLLEAGUE: the console vouches for them on each event it sends (``Inbound.console``).
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from helpbot.desk.actions import Action, AnswerButton
from helpbot.desk.buttons import (
    AcceptRules,
    ButtonData,
    Escalate,
    HazardComplaint,
    HeldPost,
    NewMatter,
    ProposedRemoval,
    PublishConsent,
    ReviewJoin,
    Satisfied,
    TalkToPerson,
)
from helpbot.desk.cases import (
    assignment,
    new_matter,
    staff_commands,
    tenant_answers,
    tenant_commands,
)
from helpbot.desk.cases.console_actions import console_visit, in_staff_room
from helpbot.desk.cases.tenant_thread import case_message
from helpbot.desk.community.public_to_private import rules_in_group
from helpbot.desk.complaints import escalation, extension
from helpbot.desk.events import ChatKind
from helpbot.desk.hazards import complaint_route
from helpbot.desk.hazards import staff as hazard_staff
from helpbot.desk.joining.conversation import rules_button
from helpbot.desk.joining.review import review
from helpbot.desk.moderation import commands as moderation
from helpbot.desk.moderation.decisions import held_post, proposed_removal
from helpbot.desk.office import Office
from helpbot.desk.records import Case
from helpbot.desk.visit import Visit, reply, staff_actor

# Colleagues acting from the staff console without a linked Telegram account write as
# this channel; only the console (after its own sign-in) puts such events in the inbox.
CONSOLE = "console"


class Role(enum.StrEnum):
    TENANT = "tenant"
    COLLEAGUE = "colleague"
    MODERATOR = "moderator"
    STRANGER = "stranger"


def role_of(office: Office, visit: Visit) -> Role:
    inbound = visit.inbound
    kind = inbound.chat.kind
    if kind in (ChatKind.PRIVATE, ChatKind.PAGE_COMMENTS):
        return Role.TENANT
    if kind is ChatKind.COMMUNITY:
        return Role.MODERATOR if office.is_colleague(visit.person) else Role.TENANT
    if kind is ChatKind.CONSOLE:
        return Role.COLLEAGUE if inbound.console is not None else Role.STRANGER
    if kind is ChatKind.STAFF and not inbound.sender.is_bot:
        # Only those on the staff list: an empty list means nobody (a safe default).
        if inbound.sender.external_id in office.settings.staff_user_ids:
            return Role.COLLEAGUE
    return Role.STRANGER


Handler = Callable[[Office, Visit], Awaitable[list[Action]]]
CaseHandler = Callable[[Office, Visit, Case], Awaitable[list[Action]]]
ButtonHandler = Callable[[Office, Visit, Any], Awaitable[list[Action]]]

TENANT = frozenset({Role.TENANT})
COLLEAGUE = frozenset({Role.COLLEAGUE})
MODERATOR = frozenset({Role.MODERATOR})
MEMBERS = frozenset({Role.TENANT, Role.MODERATOR})
STAFF_ROLES = frozenset({Role.COLLEAGUE, Role.MODERATOR})


@dataclass(frozen=True, slots=True)
class Route:
    roles: frozenset[Role]
    run: Handler


@dataclass(frozen=True, slots=True)
class ButtonRoute:
    roles: frozenset[Role]
    run: ButtonHandler


@dataclass(frozen=True, slots=True)
class ChatRoute:
    """Who is heard at all in a kind of chat (plain messages and buttons)."""

    roles: frozenset[Role]
    ignore_bots: bool = False


def in_case_topic(run: CaseHandler) -> Handler:
    """A case command: run on the case whose topic it was typed in, and recorded."""

    async def on_case(office: Office, visit: Visit) -> list[Action]:
        inbound = visit.inbound
        thread = inbound.chat.thread_id
        case = await office.cases.by_topic(thread) if thread else None
        if case is None:
            return [reply(inbound, office.say("staff", "unknown_case"))]
        await office.audit(
            actor=staff_actor(inbound),
            action=f"case_{inbound.command}",
            subject=case.ref,
            detail={"args": bool(inbound.command_args)},
        )
        return await run(office, visit, case)

    return on_case


def on_named_case(run: CaseHandler) -> Handler:
    """A case command from the staff console: run on the case the event names, and
    recorded, as from the case's topic (console_actions.py)."""

    async def on_case(office: Office, visit: Visit) -> list[Action]:
        inbound = visit.inbound
        act = inbound.console
        case_id = act.case_id if act is not None else None
        case = await office.cases.by_id(case_id) if case_id is not None else None
        if case is None:
            return [reply(inbound, office.say("staff", "unknown_case"))]
        await office.audit(
            actor=staff_actor(inbound),
            action=f"case_{inbound.command}",
            subject=case.ref,
            detail={"args": bool(inbound.command_args), "from": "console"},
        )
        return await run(office, await console_visit(office, visit, case), case)

    return on_case


def on_own_case(
    run: Callable[[Office, Visit, Case, Any], Awaitable[list[Action]]],
) -> ButtonHandler:
    """A tenant's button on a case: only on their own case (nothing leaks otherwise)."""

    async def pressed(office: Office, visit: Visit, button: Any) -> list[Action]:
        inbound = visit.inbound
        done: list[Action] = [AnswerButton(inbound.callback_id)] if inbound.callback_id else []
        case = await office.cases.by_id(button.case_id)
        if case is None or case.tenant_id != visit.person.id:
            return [*done, reply(inbound, office.say("cases", "not_yours"))]
        actions = await run(office, visit, case, button)
        if any(isinstance(action, AnswerButton) for action in actions):
            return actions  # the feature answered the press itself (e.g. "already answered")
        return done + actions

    return pressed


async def _talk_to_person(office: Office, visit: Visit, button: TalkToPerson) -> list[Action]:
    inbound = visit.inbound
    done: list[Action] = [AnswerButton(inbound.callback_id)] if inbound.callback_id else []
    return done + await case_message(office, visit, "human")


async def _satisfied(office: Office, visit: Visit, case: Case, button: Satisfied) -> list[Action]:
    return await tenant_answers.satisfaction(office, visit, case, button.yes)


async def _consent(
    office: Office, visit: Visit, case: Case, button: PublishConsent
) -> list[Action]:
    return await tenant_answers.consent(office, visit, case, button.yes)


async def _escalate(office: Office, visit: Visit, case: Case, button: Escalate) -> list[Action]:
    return await escalation.by_tenant(office, visit, case)


async def _hazard_complaint(
    office: Office, visit: Visit, case: Case, button: HazardComplaint
) -> list[Action]:
    return await complaint_route.complain(office, visit, case)


async def _held(office: Office, visit: Visit, button: HeldPost) -> list[Action]:
    return await held_post(office, visit, button.entry_id, button.choice)


async def _proposal(office: Office, visit: Visit, button: ProposedRemoval) -> list[Action]:
    return await proposed_removal(
        office, visit, button.entry_id, "remove" if button.remove else "keep"
    )


def _case(run: CaseHandler) -> Mapping[ChatKind, Route]:
    """A case command: in the case's topic, and from the staff console."""
    return {
        ChatKind.STAFF: Route(COLLEAGUE, in_case_topic(run)),
        ChatKind.CONSOLE: Route(COLLEAGUE, on_named_case(run)),
    }


def _staff_button(run: ButtonHandler) -> Mapping[ChatKind, ButtonRoute]:
    """A decision button of the staff room (3.5, 3.7): pressed there, or from the
    console, which is heard in the staff room too."""

    async def from_console(office: Office, visit: Visit, button: Any) -> list[Action]:
        return await run(office, in_staff_room(office, visit), button)

    return {
        ChatKind.STAFF: ButtonRoute(COLLEAGUE, run),
        ChatKind.CONSOLE: ButtonRoute(COLLEAGUE, from_console),
    }


def _moderation() -> Mapping[ChatKind, Route]:
    return {
        ChatKind.STAFF: Route(COLLEAGUE, moderation.staff_command),
        ChatKind.COMMUNITY: Route(MODERATOR, moderation.group_command),
    }


COMMANDS: Mapping[str, Mapping[ChatKind, Route]] = {
    # A tenant's own chat with the bot.
    "start": {ChatKind.PRIVATE: Route(TENANT, tenant_commands.start)},
    "help": {ChatKind.PRIVATE: Route(TENANT, tenant_commands.help_or_privacy)},
    "privacy": {ChatKind.PRIVATE: Route(TENANT, tenant_commands.help_or_privacy)},
    "mycases": {ChatKind.PRIVATE: Route(TENANT, tenant_commands.my_cases)},
    "new": {ChatKind.PRIVATE: Route(TENANT, new_matter.new_matter)},
    "rules": {
        ChatKind.PRIVATE: Route(TENANT, tenant_commands.rules),
        ChatKind.COMMUNITY: Route(MEMBERS, rules_in_group),
    },
    # Working a case from its topic in the staff group (docs/staff-guide.md).
    "reply": _case(staff_commands.send_reply),
    "claim": _case(staff_commands.claim),
    "release": _case(staff_commands.release),
    "note": _case(staff_commands.note),
    "history": _case(staff_commands.history),
    "resolve": _case(staff_commands.resolve),
    "close": _case(staff_commands.close),
    "reopen": _case(staff_commands.reopen),
    "merge": _case(staff_commands.merge),
    "escalate": _case(escalation.by_colleague),
    "extend": _case(extension.extend),
    "publish": _case(staff_commands.publish),
    # The hazard clock (Awaab's Law, desk/hazards/).
    "hazard": _case(hazard_staff.hazard),
    "investigated": _case(hazard_staff.investigated),
    "made_safe": _case(hazard_staff.made_safe),
    "summary_sent": _case(hazard_staff.summary_sent),
    "works_started": _case(hazard_staff.works_started),
    "works_later": _case(hazard_staff.works_later),
    "alternative_offered": _case(hazard_staff.alternative_offered),
    "assign": _case(assignment.assign),
    "takeover": _case(assignment.take_over),
    # Moderating the community groups (3.7).
    "warn": _moderation(),
    "remove": _moderation(),
    "block": _moderation(),
    "unblock": _moderation(),
}

BUTTONS: Mapping[type[ButtonData], Mapping[ChatKind, ButtonRoute]] = {
    TalkToPerson: {ChatKind.PRIVATE: ButtonRoute(TENANT, _talk_to_person)},
    Satisfied: {ChatKind.PRIVATE: ButtonRoute(TENANT, on_own_case(_satisfied))},
    PublishConsent: {ChatKind.PRIVATE: ButtonRoute(TENANT, on_own_case(_consent))},
    Escalate: {ChatKind.PRIVATE: ButtonRoute(TENANT, on_own_case(_escalate))},
    HazardComplaint: {ChatKind.PRIVATE: ButtonRoute(TENANT, on_own_case(_hazard_complaint))},
    NewMatter: {ChatKind.PRIVATE: ButtonRoute(TENANT, new_matter.split_off)},
    AcceptRules: {ChatKind.PRIVATE: ButtonRoute(TENANT, rules_button)},
    ReviewJoin: _staff_button(review),
    HeldPost: _staff_button(_held),
    ProposedRemoval: _staff_button(_proposal),
}

CHATS: Mapping[ChatKind, ChatRoute] = {
    ChatKind.PRIVATE: ChatRoute(TENANT),
    ChatKind.COMMUNITY: ChatRoute(MEMBERS),
    ChatKind.STAFF: ChatRoute(COLLEAGUE, ignore_bots=True),
    ChatKind.OTHER: ChatRoute(frozenset()),
    # Comments under the Facebook Page's posts: every commenter is a member of the public
    # writing to SHAL; the Page's own comments come back as events and are ignored.
    ChatKind.PAGE_COMMENTS: ChatRoute(TENANT, ignore_bots=True),
    # Facebook's private reply to a comment is only ever sent, never received.
    ChatKind.COMMENT_REPLY: ChatRoute(frozenset()),
    # The staff console: its signed-in colleagues' case commands and staff-room
    # decisions (role_of); nothing else it sends is heard.
    ChatKind.CONSOLE: ChatRoute(COLLEAGUE),
}


def command_route(command: str | None, kind: ChatKind, role: Role) -> Route | None:
    """The route if this role may use this command in this kind of chat, else None."""
    route = COMMANDS.get(command or "", {}).get(kind)
    return route if route is not None and role in route.roles else None


def is_staff_command(command: str | None) -> bool:
    """Only colleagues may use it anywhere: anyone else trying is refused and recorded."""
    routes = COMMANDS.get(command or "")
    if not routes:
        return False
    return all(r.roles <= STAFF_ROLES for r in routes.values())


def button_route(button: ButtonData | None, kind: ChatKind, role: Role) -> ButtonRoute | None:
    if button is None:
        return None
    route = BUTTONS.get(type(button), {}).get(kind)
    return route if route is not None and role in route.roles else None
