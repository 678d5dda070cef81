"""A tenant who writes in another language (policy 6.2: our services are accessible to
everyone).

The bot reads English only (nlu/other_languages.py says how a message is told apart),
so a message in another language goes to a colleague: it opens a case of its own
("human", a person is needed) unless a matter is in hand, which it joins. The tenant is
told so first in their language, where we have the words, then in English, with 999
and the gas line either way: the bot cannot tell whether the message was about a
danger. Colleagues are told which language it is in.
"""

from __future__ import annotations

from collections.abc import Sequence

from helpbot.desk.actions import Action, SendText
from helpbot.desk.office import Office
from helpbot.desk.visit import Visit

UNNAMED = "und"  # the identifier could not name it surely (nlu/other_languages.py)


def language_of(visit: Visit) -> str:
    """The code of the language the message is plainly written in; "" for English."""
    return str(getattr(visit.classification, "language", "") or "")


def language_name(visit: Visit) -> str | None:
    """The language's name in English ("Polish"), or its code where the identifier
    was not sure enough to name it; None for English."""
    code = language_of(visit)
    if not code:
        return None
    return str(getattr(visit.classification, "language_name", "") or code)


def summary(visit: Visit, words: str) -> str:
    """A case's summary begins with its language, so the staff room's topic list and
    the console's inbox show at a glance which cases the bot could not read."""
    code = language_of(visit)
    if not code:
        return words
    name = "another language" if code == UNNAMED else language_name(visit)
    marked = f"[{name}] {words}"
    return marked if len(marked) <= 60 else marked[:57] + "..."


def in_their_language(office: Office, visit: Visit) -> str | None:
    """ "We have your message, a colleague will reply, 999, the gas line", in the
    tenant's language, where we have the words and the bot is sure of the language."""
    code = language_of(visit)
    if code and office.say.has("in_their_language", code):
        return office.say("in_their_language", code)
    return None


def first_words(office: Office, visit: Visit) -> str:
    """What the tenant is told: in their language where we have it, then in English."""
    english = office.say("intents", "other_language")
    theirs = in_their_language(office, visit)
    return f"{theirs}\n\n{english}" if theirs else english


def staff_note(office: Office, visit: Visit) -> str | None:
    """For colleagues: which language, and that the bot did not read it."""
    name = language_name(visit)
    if name is None:
        return None
    return office.say("staff", "other_language", language=name)


def gave_the_lines(office: Office, visit: Visit, actions: Sequence[Action]) -> bool:
    """The tenant was just told, in their language or in English, that a colleague will
    read it, with 999 and the gas line: the safety net's own emergency line would say
    it again (walking the fake Bot API, a gas bill in Polish got both). Not so once a
    colleague has the case, when the bot stays quiet."""
    lines = [office.say("intents", "other_language")]
    if (theirs := in_their_language(office, visit)) is not None:
        lines.append(theirs)
    return any(
        isinstance(action, SendText)
        and action.chat == visit.inbound.chat
        and any(line in action.text for line in lines)
        for action in actions
    )
