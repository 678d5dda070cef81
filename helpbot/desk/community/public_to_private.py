"""A tenants' community group: conversation is welcome, but personal matters and
complaints are never discussed in public (3.12): they move to a private case (3.13).

The bot speaks in the group only where the policy needs it and it is sure what the
message is (``confidence.sure``), and at most once an hour in a thread unless it is
urgent (``threads``). One matter in a thread opens at most one case: the tenant's
follow-ups join it, and another member on a shared matter (a neighbours' dispute) is
shown to colleagues in that case's topic instead of opening a second one.
"""

from __future__ import annotations

from dataclasses import replace

from helpbot.desk.actions import Action, PostToStaff, SendText
from helpbot.desk.arguments.in_groups import group_message as watch_for_arguments
from helpbot.desk.cases import other_language
from helpbot.desk.cases.tenant_thread import file_message, open_case
from helpbot.desk.cases.topics import new_case_header, staff_note, topic_name
from helpbot.desk.community.confidence import sure
from helpbot.desk.community.threads import may_speak, spoken
from helpbot.desk.events import Content
from helpbot.desk.office import Office
from helpbot.desk.records import Case, GroupThread
from helpbot.desk.safety import net as safety_net
from helpbot.desk.visit import CLASSIFY_LIMIT, URGENT_INTENTS, Visit, private_chat, reply
from helpbot.nlu.intents import PRIVATE_INTENTS

# A matter the neighbours in a thread share (a parking dispute, dumped rubbish): a
# second member on it is the same matter. A complaint, a repair or something personal
# is each member's own, and an urgent message is never merged away.
SHARED_MATTERS = frozenset({"asb"})
WHERE = "community group"


async def group_text(
    office: Office, visit: Visit, thread: GroupThread | None, *, colleague: bool
) -> list[Action]:
    """A member's words (or a caption) in the group, after moderation's screening and
    the personal-data check: a case if the policy needs one and the bot is sure, an
    answer if asked and known, otherwise silence."""
    inbound = visit.inbound
    intent = visit.intent or "smalltalk"
    actions: list[Action] = []
    text = inbound.text
    if intent in URGENT_INTENTS and not sure(visit.classification, text):
        # Urgent on a guess: a colleague looks, the group hears nothing (safety net).
        actions += await safety_net.flag(office, visit, (intent,), where=WHERE)
    elif colleague or inbound.sender.is_bot:
        pass  # a colleague moderating is not a tenant with a matter
    elif intent in URGENT_INTENTS or (wants_case(visit) and sure(visit.classification, text)):
        actions += await move_to_private(office, visit, thread, intent)
    elif inbound.addressed_to_bot and not inbound.edited and intent in ("question", "unclear"):
        actions += await _answer(office, visit, thread)
    elif intent == "unclear" and (matter := await _only_matter(office, thread)) is not None:
        actions += await _more_on_the_matter_in_hand(office, visit, matter)
    if not colleague and not inbound.edited:
        # Never argue; end an argument, or one member's sustained hostility, once (3.10).
        ended = await watch_for_arguments(office, visit)
        if ended:
            await spoken(office, thread, inbound.received_at)
        actions += ended
    # A sign of risk the intent did not cover: a colleague takes a look (never the
    # message itself in public).
    actions += await safety_net.catch(office, visit, where=WHERE, public=True)
    return actions


def wants_case(visit: Visit) -> bool:
    """A matter the policy moves to private: a complaint, a report, something personal
    or a repair; or asking the bot for a person."""
    intent = visit.intent
    return intent in PRIVATE_INTENTS or (intent == "human" and visit.inbound.addressed_to_bot)


async def _answer(office: Office, visit: Visit, thread: GroupThread | None) -> list[Action]:
    """A question put to the bot in the group: answered only from the knowledge base
    when it clearly knows, and not twice in an hour in one thread."""
    inbound = visit.inbound
    if not may_speak(thread, inbound.received_at):
        return []
    found = office.understanding.answer(inbound.text[:CLASSIFY_LIMIT])
    if found is None:
        return []
    await spoken(office, thread, inbound.received_at)
    return [reply(inbound, found.answer, intent="question")]


async def move_to_private(
    office: Office,
    visit: Visit,
    thread: GroupThread | None,
    intent: str,
    *,
    removed: tuple[str, ...] = (),
) -> list[Action]:
    """Open the case (or join the one this matter already has), linked to the group
    message, and invite the tenant to a private chat with a deep link (a bot cannot
    message someone first). ``removed``: the kinds of personal data taken down with the
    message, which is then never quoted and always explained."""
    inbound = visit.inbound
    now = inbound.received_at
    urgent = intent in URGENT_INTENTS
    existing = await _thread_case(office, thread, intent)
    if existing is not None and not removed:
        if existing.tenant_id != visit.person.id:
            if intent in SHARED_MATTERS:
                return _same_matter(office, visit, existing)
        else:
            # The same tenant going on about the same matter: filed, nothing public.
            await file_message(office, existing.id, visit, intent=intent, where=WHERE)
            return _to_topic(office, existing, visit, header=None)
    case = await office.cases.open_case_of_kind(visit.person.id, intent)
    new = case is None
    if case is None:
        case = await open_case(office, visit, intent, in_group=True)
    await file_message(office, case.id, visit, intent=intent, where=WHERE)
    if thread is not None:
        await office.records.threads.add_case(thread.id, intent, case.id)
    actions: list[Action] = []
    invited = False
    if removed or urgent or may_speak(thread, now):
        actions.append(_invitation(office, visit, case, intent, removed=bool(removed)))
        await spoken(office, thread, now)
        invited = True
    elif await office.people.has_written_privately(visit.person.id):
        # The bot has already spoken in this thread this hour: the tenant hears privately.
        text = office.say("group_quiet", "moved_privately", ref=case.ref)
        actions.append(SendText(private_chat(visit.person), text, case_id=case.id))
        invited = True
    origin = (
        f"community group “{inbound.chat.title or visit.chat.title or inbound.chat.external_id}”"
    )
    header = new_case_header(office, case, origin) if new else None
    notes: list[str] = []
    if removed:
        notes.append(office.say("group_quiet", "staff_removed", kinds=", ".join(removed)))
    if not invited:
        notes.append(office.say("group_quiet", "staff_not_invited"))
    return actions + _to_topic(
        office, case, visit, header=header, notes=notes, removed=bool(removed)
    )


async def _only_matter(office: Office, thread: GroupThread | None) -> Case | None:
    """The one open case this conversation has, if it has exactly one."""
    if thread is None:
        return None
    cases = [await office.cases.by_id(case_id) for case_id in set(thread.cases.values())]
    open_cases = [c for c in cases if c is not None and c.status == "open"]
    return open_cases[0] if len(open_cases) == 1 else None


async def _more_on_the_matter_in_hand(office: Office, visit: Visit, case: Case) -> list[Action]:
    """A message the bot cannot read on its own ("and the van was there again this
    morning") in a conversation that already has a case is most likely more of that
    matter: the case's tenant's words are filed on it, a neighbour's shown beside it;
    nothing is said in public."""
    if case.tenant_id == visit.person.id:
        await file_message(office, case.id, visit, intent=case.kind, where=WHERE)
        return _to_topic(office, case, visit, header=None)
    if case.kind in SHARED_MATTERS:
        return _same_matter(office, visit, case)
    return []


async def _thread_case(office: Office, thread: GroupThread | None, intent: str) -> Case | None:
    """The open case this thread's matter of this kind already has, if any."""
    if thread is None or intent not in thread.cases:
        return None
    case = await office.cases.by_id(thread.cases[intent])
    return case if case is not None and case.status == "open" else None


def _invitation(
    office: Office, visit: Visit, case: Case, intent: str, *, removed: bool
) -> SendText:
    inbound = visit.inbound
    say = office.say
    # An urgent matter gets 999 in public too; a safeguarding one nothing that says
    # what kind of harm it is (the helplines follow in private: safety/signposts.py).
    key = intent if intent in ("emergency", "safeguarding") else "move_private"
    link = office.private_link(case.link_token or "")
    # Written in another language: the tenant hears first in it that a colleague will
    # reply, with 999 and the gas line (policy 6.2), then the English invitation.
    theirs = other_language.in_their_language(office, visit)
    first = f"{theirs}\n\n" if theirs else ""
    if not removed:
        text = first + say("group", key)
        return reply(inbound, text, intent=intent, buttons=link, case_id=case.id)
    # The original is being deleted: don't quote it, and say why it went.
    if intent == "emergency":
        text = say("group_quiet", "removed") + "\n\n" + say("group", "emergency")
    else:
        text = say("group_quiet", "removed_kept")
    text = first + text
    unquoted = replace(inbound, message_id=None)
    return reply(unquoted, text, intent=intent, buttons=link, case_id=case.id)


def _same_matter(office: Office, visit: Visit, case: Case) -> list[Action]:
    """Another member on a matter this thread already has a case for: one matter, one
    case. Colleagues see what they said in that case's topic; nothing is opened or
    posted."""
    if not office.settings.staff_room:
        return []
    text = office.say(
        "group_quiet",
        "staff_same_matter",
        name=visit.person.first_name or "Another member",
        text=visit.inbound.text,
    )
    return [PostToStaff(case.id, topic_name(case), case.staff_topic_id, text=staff_note(text))]


def _to_topic(
    office: Office,
    case: Case,
    visit: Visit,
    *,
    header: str | None,
    notes: list[str] | None = None,
    removed: bool = False,
) -> list[Action]:
    """What the tenant posted, in the case's topic (with the photo or file copied), and
    the header of a new case."""
    if not office.settings.staff_room:
        return []
    inbound = visit.inbound
    name = visit.person.first_name or "Tenant"
    said = office.say("staff", "tenant_says", name=name, text=inbound.text)
    if inbound.edited:
        said = office.say("group_quiet", "staff_edited") + "\n" + said
    text = "\n\n".join(part for part in (header, said, *(notes or ())) if part)
    topic = topic_name(case)
    # The tenant's own words and file copy are relayed: a colleague's reply to them
    # reaches this tenant. Notes about removed files are not.
    actions: list[Action] = [
        PostToStaff(case.id, topic, case.staff_topic_id, text=staff_note(text), relay=True)
    ]
    if removed and inbound.content is not Content.TEXT:
        # The post is being deleted, so it cannot be copied: colleagues ask for it.
        text = office.say("group_quiet", "staff_file_removed", content=inbound.content.value)
        actions.append(PostToStaff(case.id, topic, case.staff_topic_id, text=text))
    elif inbound.content is not Content.TEXT and inbound.message_id:
        actions.append(
            PostToStaff(
                case.id,
                topic,
                case.staff_topic_id,
                copy_from=inbound.chat,
                copy_message_id=inbound.message_id,
                relay=True,
            )
        )
    return actions


async def rules_in_group(office: Office, visit: Visit) -> list[Action]:
    """/rules in a group: a link to read them privately, not a wall of text in public."""
    text = office.say("conduct", "rules_in_group")
    return [reply(visit.inbound, text, buttons=office.private_link("rules"))]
