"""Who may do what, tried exhaustively against the routing table: every command and every
button, from a tenant, another tenant, an applicant, a colleague and a stranger, in every
kind of chat. Anyone the table does not allow changes nothing and learns nothing: at most
a polite reply in the chat they wrote in (and a refusal in the audit log).

Runs the real desk over the in-memory ports (tests/desk_fakes.py): no database, no spaCy,
no Telegram, so hypothesis can try hundreds of cases in seconds."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from helpbot.desk.actions import Action, AnswerButton, SendText
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
    read_button,
)
from helpbot.desk.events import ChatKind, ChatRef, Content, Inbound, Person
from helpbot.desk.front_desk import Desk, DeskSettings
from helpbot.desk.group_rules import DEFAULT_INTENTS_DIR, GroupRules
from helpbot.desk.records import NewCase
from helpbot.desk.routing import BUTTONS, COMMANDS, STAFF_ROLES, Role
from helpbot.desk.wording import Wording
from tests.desk_fakes import FakeClock, FakeUnderstanding, Memory, fake_records

WORDING = Wording.load(DEFAULT_INTENTS_DIR)
RULES = GroupRules.load()
TG = "telegram"
STAFF = ChatRef(TG, "-1001", ChatKind.STAFF, "SHAL staff")
COMMUNITY = ChatRef(TG, "-1002", ChatKind.COMMUNITY, "Tenants' group")
OTHER = ChatRef(TG, "-1003", ChatKind.OTHER, "Somewhere else")
TOPIC = 77
SECRET_NOTE = "tenant's rent arrears are 412 pounds"


@dataclass(frozen=True)
class Identity:
    label: str
    person: Person
    colleague: bool = False


ANN = Identity("tenant with the case", Person(TG, "501", "Ann", "ann"))
BEA = Identity("applicant", Person(TG, "502", "Bea", "bea"))
CY = Identity("another tenant", Person(TG, "503", "Cy", "cy"))
COLLEAGUE = Identity("colleague", Person(TG, "900", "Sam Officer", "sam"), colleague=True)
STRANGER = Identity("stranger", Person(TG, "666", "Mallory", "mal"))
IDENTITIES = (ANN, BEA, CY, COLLEAGUE, STRANGER)
KINDS = (ChatKind.PRIVATE, ChatKind.COMMUNITY, ChatKind.STAFF, ChatKind.OTHER)


@dataclass
class World:
    desk: Desk
    memory: Memory
    case_id: int
    request_id: int
    held_id: int
    proposal_id: int
    message_id: int


async def build_world() -> World:
    clock = FakeClock()
    records, memory = fake_records(clock=clock)
    desk = Desk(
        records,
        FakeUnderstanding(),
        WORDING,
        DeskSettings(bot_username="shal_helpbot", staff_chat=STAFF, staff_user_ids=("900",)),
        RULES,
    )
    people = records.people
    known = {i.person.external_id: await people.person(i.person) for i in IDENTITIES}
    await people.set_staff_since(known["900"].id, clock.now())
    for chat in (STAFF, COMMUNITY, OTHER):
        await people.chat(chat)
    for identity in IDENTITIES:
        await people.chat(private(identity))
    ann_chat = await people.chat(private(ANN))
    group = await people.chat(COMMUNITY)
    case = await records.cases.open_case(
        NewCase(
            kind="complaint",
            tenant_id=known["501"].id,
            chat_id=ann_chat.id,
            summary="complaint about the lift",
            urgent=False,
            now=clock.now(),
            origin_chat_id=group.id,
            origin_message_id="10",
            complaint_dates=(clock.now().date(), clock.now().date() + timedelta(days=14)),
        )
    )
    await records.cases.change(
        case.id,
        staff_topic_id=TOPIC,
        status="resolved",
        publication_text="We fixed the lift.",
        publication_consent="asked",
    )
    await records.cases.log(case.id, "note", actor_kind="staff", text=SECRET_NOTE)
    # Ann's message filed on her case: only she may move it to a new case.
    said = await people.record_inbound(
        Inbound(private(ANN), ANN.person, Content.TEXT, text="about the lift again"),
        "complaint",
        chat_id=ann_chat.id,
        person_id=known["501"].id,
    )
    await people.link_message(said.id, case.id)
    request = await records.members.open_request(
        group.id, known["502"].id, now=clock.now(), answer_by=clock.now() + timedelta(hours=1)
    )
    await records.members.change_request(request.id, status="review")
    held = await records.moderation.record(
        "hold", actor_kind="bot", chat_id=group.id, person_id=known["503"].id, state="pending"
    )
    proposal = await records.moderation.record(
        "propose_remove",
        actor_kind="bot",
        chat_id=group.id,
        person_id=known["503"].id,
        state="pending",
        detail={"groups": [group.id]},
    )
    await records.members.set_member(group.id, known["503"].id, status="member")
    return World(desk, memory, case.id, request.id, held.id, proposal.id, said.id)


def private(identity: Identity) -> ChatRef:
    return ChatRef(TG, identity.person.external_id, ChatKind.PRIVATE)


def where(kind: ChatKind, identity: Identity) -> ChatRef:
    return {
        ChatKind.PRIVATE: private(identity),
        ChatKind.COMMUNITY: COMMUNITY,
        ChatKind.STAFF: ChatRef(TG, STAFF.external_id, ChatKind.STAFF, STAFF.title, TOPIC),
        ChatKind.OTHER: OTHER,
    }[kind]


def expected_role(identity: Identity, kind: ChatKind) -> Role:
    """Worked out here from the staff guide, not read from the desk's own code."""
    if kind is ChatKind.PRIVATE:
        return Role.TENANT
    if kind is ChatKind.COMMUNITY:
        return Role.MODERATOR if identity.colleague else Role.TENANT
    if kind is ChatKind.STAFF and identity.colleague:
        return Role.COLLEAGUE
    return Role.STRANGER


def owner_of(button: ButtonData) -> Identity | None:
    """Whose record a tenant's button acts on: only they may press it."""
    if isinstance(button, Satisfied | PublishConsent | Escalate | HazardComplaint | NewMatter):
        return ANN
    if isinstance(button, AcceptRules):
        return BEA
    return None


def buttons_for(world: World) -> list[ButtonData]:
    return [
        TalkToPerson(),
        Satisfied(world.case_id, yes=True),
        Satisfied(world.case_id, yes=False),
        PublishConsent(world.case_id, yes=True),
        Escalate(world.case_id),
        HazardComplaint(world.case_id),
        AcceptRules(world.request_id, yes=False),
        ReviewJoin(world.request_id, approve=True),
        HeldPost(world.held_id, "repost"),
        ProposedRemoval(world.proposal_id, remove=True),
        NewMatter(world.case_id, world.message_id),
    ]


ARGUMENTS = {
    "warn": "503 posting spam",
    "remove": "503 posting spam",
    "block": "503 posting spam",
    "unblock": "503 sorted out",
    "note": "a note",
    "resolve": "all fixed",
    "extend": "5 waiting for a contractor",
    "publish": "we fixed it",
    "hazard": "significant mould in the bedroom",
    "investigated": "mould on two walls",
    "summary_sent": "we will treat the walls",
    "works_later": "waiting for scaffolding",
    "alternative_offered": "a hotel nearby",
}


def linked(memory: Memory) -> list[tuple[int, int]]:
    return [(m["id"], m["case_id"]) for m in memory.messages if m["case_id"] is not None]


def nothing_learned(actions: list[Action], chat: ChatRef) -> None:
    for action in actions:
        assert isinstance(action, AnswerButton | SendText), action
        if isinstance(action, SendText):
            assert action.chat == chat
            assert action.case_id is None and not action.buttons
            for secret in ("SHAL-", "Ann", "lift", SECRET_NOTE, "We fixed", "Bea"):
                assert secret not in action.text


async def try_once(identity: Identity, kind: ChatKind, attempt: int, data: str | None) -> None:
    world = await build_world()
    chat = where(kind, identity)
    if data is None:
        names = [*COMMANDS, "bogus"]
        command = names[attempt % len(names)]
        inbound = Inbound(
            chat=chat,
            sender=identity.person,
            content=Content.COMMAND,
            text=f"/{command}",
            message_id="99",
            reply_to_message_id="98",
            reply_to_sender_id="503",
            command=command,
            command_args=ARGUMENTS.get(command, ""),
        )
        route = COMMANDS.get(command, {}).get(kind)
        allowed = route is not None and expected_role(identity, kind) in route.roles
    else:
        inbound = Inbound(
            chat=chat,
            sender=identity.person,
            content=Content.BUTTON,
            callback_data=data,
            callback_id="cb",
            message_id="99",
        )
        button = read_button(data)
        broute = BUTTONS.get(type(button), {}).get(kind) if button is not None else None
        owner = owner_of(button) if button is not None else None
        allowed = (
            broute is not None
            and expected_role(identity, kind) in broute.roles
            and owner in (None, identity)
        )
    before = world.memory.snapshot(), linked(world.memory)
    refusals = len(world.memory.audit)
    actions = await world.desk.handle(inbound)
    if allowed:
        return
    assert (world.memory.snapshot(), linked(world.memory)) == before
    nothing_learned(actions, chat)
    if data is None and inbound.command and kind is not ChatKind.OTHER:
        routes = COMMANDS.get(inbound.command, {})
        if routes and all(r.roles <= STAFF_ROLES for r in routes.values()):
            new = world.memory.audit[refusals:]
            assert [e["action"] for e in new] == ["refused_staff_command"]


@settings(max_examples=400, deadline=None)
@given(
    identity=st.sampled_from(IDENTITIES),
    kind=st.sampled_from(KINDS),
    attempt=st.integers(min_value=0, max_value=len(COMMANDS)),
)
def test_no_one_outside_the_table_changes_or_learns_anything_by_command(
    identity: Identity, kind: ChatKind, attempt: int
) -> None:
    asyncio.run(try_once(identity, kind, attempt, None))


@settings(max_examples=400, deadline=None)
@given(
    identity=st.sampled_from(IDENTITIES),
    kind=st.sampled_from(KINDS),
    which=st.integers(min_value=0, max_value=9),
)
def test_no_one_outside_the_table_changes_or_learns_anything_by_button(
    identity: Identity, kind: ChatKind, which: int
) -> None:
    async def run() -> None:
        world = await build_world()
        data = buttons_for(world)[which].data
        await try_once(identity, kind, 0, data)

    asyncio.run(run())


@settings(max_examples=200, deadline=None)
@given(
    identity=st.sampled_from(IDENTITIES),
    kind=st.sampled_from(KINDS),
    data=st.one_of(
        st.text(max_size=80),
        st.from_regex(r"^(sat|pub|esc|join|jr|held|mod):\d{1,25}(:[a-z]{2,7})?$"),
        st.from_regex(r"^new:\d{1,25}:\d{1,25}$"),
    ),
)
def test_forged_button_data_changes_nothing_it_does_not_name(
    identity: Identity, kind: ChatKind, data: str
) -> None:
    """Made-up data, or ids that are out of range or belong to no record."""
    asyncio.run(try_once(identity, kind, 0, data))


def test_the_table_keeps_colleagues_commands_from_tenants_and_strangers() -> None:
    """The table itself, read against the staff guide."""
    for name in ("claim", "note", "resolve", "publish", "warn", "block"):
        for kind, route in COMMANDS[name].items():
            assert route.roles <= STAFF_ROLES, (name, kind)
    everyone_allowed = [r.roles for routes in COMMANDS.values() for r in routes.values()]
    everyone_allowed += [r.roles for routes in BUTTONS.values() for r in routes.values()]
    assert all(Role.STRANGER not in roles for roles in everyone_allowed)
    assert all(kind is not ChatKind.OTHER for routes in COMMANDS.values() for kind in routes)


def test_a_button_id_longer_than_18_digits_is_not_read() -> None:
    assert read_button("sat:123456789012345678:yes") == Satisfied(123456789012345678, yes=True)
    assert read_button("sat:1234567890123456789:yes") is None
    assert read_button("held:1:burn") is None


def test_the_property_can_fail_a_tenant_pressing_review_would_change_a_request() -> None:
    """If the desk let a tenant approve a join request, the snapshot would show it."""

    async def run() -> None:
        world = await build_world()
        before = world.memory.snapshot()
        await world.desk.office.members.move_request(
            world.request_id, ("review",), status="approved"
        )
        assert world.memory.snapshot() != before

    asyncio.run(run())
